import { BerthError } from '../../core/index.ts';
import { timedOut, unavailable } from './errors.ts';

/** The HTTP client the registry code uses; `fetch` from Node (undici) unless a test injects one. */
export type FetchFunction = typeof fetch;

export interface SendOptions {
  fetch: FetchFunction;
  /** Milliseconds without response headers or body bytes before the request is abandoned. */
  timeoutMs: number;
  /** Names the request in errors. */
  what: string;
}

/** A response whose body is read through `body()`, which times out when the stream stalls. */
export interface TimedResponse {
  res: Response;
  body(): AsyncGenerator<Uint8Array>;
  /** Reads the whole body, refusing more than `limit` bytes (`tooLarge` builds the error). */
  bytes(limit: number, tooLarge: (size: number) => Error): Promise<Buffer>;
  discard(): Promise<void>;
}

/** Sends a request that fails with ERR_IMAGE_REGISTRY_TIMEOUT when headers or body bytes stop coming. */
export async function send(url: string, init: RequestInit, options: SendOptions): Promise<TimedResponse> {
  const controller = new AbortController();
  const arm = () => setTimeout(() => controller.abort(), options.timeoutMs);
  const headerTimer = arm();
  let res: Response;
  try {
    res = await options.fetch(url, { ...init, signal: controller.signal, redirect: 'follow' });
  } catch (err) {
    if (controller.signal.aborted) throw timedOut(options.what, options.timeoutMs);
    throw unavailable(options.what, err);
  } finally {
    clearTimeout(headerTimer);
  }
  async function* body(): AsyncGenerator<Uint8Array> {
    if (!res.body) return;
    let timer = arm();
    try {
      for await (const chunk of res.body) {
        clearTimeout(timer);
        yield chunk;
        timer = arm();
      }
    } catch (err) {
      if (controller.signal.aborted) throw timedOut(options.what, options.timeoutMs);
      if (err instanceof BerthError) throw err;
      throw unavailable(options.what, err);
    } finally {
      clearTimeout(timer);
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
      for await (const chunk of body()) {
        size += chunk.byteLength;
        if (size > limit) {
          controller.abort();
          throw tooLarge(size);
        }
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },
    async discard() {
      await res.body?.cancel().catch(() => {});
    },
  };
}
