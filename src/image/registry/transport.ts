import { BerthError } from '../../core/index.ts';
import { readBatches } from './batches.ts';
import { timedOut, unavailable } from './errors.ts';
import type { HttpResponse, HttpTransport } from './http.ts';

export interface SendOptions {
  transport: HttpTransport;
  /** Milliseconds without response headers or body bytes before the request is abandoned. */
  timeoutMs: number;
  /** Names the request in errors. */
  what: string;
  /** The caller's cancellation: the request is abandoned and fails with the signal's reason. */
  signal?: AbortSignal;
}

export interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | AsyncIterable<Uint8Array>;
}

/** A response whose body is read through `body()`, which times out when the stream stalls. */
export interface TimedResponse {
  res: HttpResponse;
  /** The body in batches of chunks (~1 MiB each). */
  body(): AsyncGenerator<Uint8Array[]>;
  /** Reads the whole body, refusing more than `limit` bytes (`tooLarge` builds the error). */
  bytes(limit: number, tooLarge: (size: number) => Error): Promise<Buffer>;
  /** Drops the rest of the body. */
  discard(): Promise<void>;
}

/** Sends a request that fails with ERR_IMAGE_REGISTRY_TIMEOUT when headers or body bytes stop coming. */
export async function send(url: string, init: SendInit, options: SendOptions): Promise<TimedResponse> {
  options.signal?.throwIfAborted();
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
  const arm = () => setTimeout(() => controller.abort(), options.timeoutMs);
  // What a failed request or body read becomes: the caller's abort reason, a timeout (our own
  // abort), the BerthError it already is, or the registry being unavailable.
  const failure = (err: unknown): unknown => {
    if (options.signal?.aborted) return options.signal.reason;
    if (controller.signal.aborted) return timedOut(options.what, options.timeoutMs);
    if (err instanceof BerthError) return err;
    return unavailable(options.what, err);
  };
  const headerTimer = arm();
  let res: HttpResponse;
  try {
    res = await options.transport({
      method: init.method ?? 'GET',
      url,
      headers: init.headers ?? {},
      body: init.body,
      signal,
    });
  } catch (err) {
    throw failure(err);
  } finally {
    clearTimeout(headerTimer);
  }
  async function* body(): AsyncGenerator<Uint8Array[]> {
    try {
      yield* readBatches(res.body, { stallMs: options.timeoutMs, onStall: () => controller.abort() });
    } catch (err) {
      throw failure(err);
    }
  }
  return {
    res,
    body,
    async bytes(limit, tooLarge) {
      const declared = Number(res.headers.get('content-length') ?? Number.NaN);
      if (declared > limit) {
        controller.abort();
        throw tooLarge(declared);
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const batch of body()) {
        for (const chunk of batch) size += chunk.byteLength;
        if (size > limit) {
          controller.abort();
          throw tooLarge(size);
        }
        chunks.push(...batch);
      }
      return Buffer.concat(chunks);
    },
    async discard() {
      res.drain();
    },
  };
}
