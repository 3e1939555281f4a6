import { Readable } from 'node:stream';

// A blob arrives in ~64 KiB chunks; handing them on one by one costs a promise turn (or two)
// and a timer each. Collected from 'data' events into ~1 MiB batches, the per-chunk work is a
// push and a clock read. A batch is a list, not a copy: the consumer decides whether to join it.
const BATCH = 1024 * 1024;
// Batches read ahead of the consumer before the socket is paused.
const READ_AHEAD = 2;

/**
 * Reads `body` in batches of chunks of about 1 MiB together. When no byte
 * arrives for `stallMs` while the consumer waits for one, `onStall` is called (it should abort
 * the request, which ends the stream with an error). Bytes that arrived before an error are
 * yielded before it is thrown. Stopping early destroys the stream.
 */
export function readBatches(
  body: AsyncIterable<Uint8Array>,
  options: { stallMs: number; onStall: () => void },
): AsyncIterableIterator<Uint8Array[]> {
  return new BatchReader(body instanceof Readable ? body : Readable.from(body), options);
}

class BatchReader implements AsyncIterableIterator<Uint8Array[]> {
  private readonly stream: Readable;
  private readonly stallMs: number;
  private readonly onStall: () => void;
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  private readonly ready: Uint8Array[][] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private paused = false;
  private lastData = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(stream: Readable, options: { stallMs: number; onStall: () => void }) {
    this.stream = stream;
    this.stallMs = options.stallMs;
    this.onStall = options.onStall;
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
    this.timer = setTimeout(this.checkStall, this.stallMs);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array[]> {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array[]>> {
    for (;;) {
      const batch = this.ready.shift();
      if (batch) {
        if (this.paused && this.ready.length < READ_AHEAD) this.resume();
        return { value: batch, done: false };
      }
      if (this.failure) {
        this.stop();
        throw this.failure.error;
      }
      if (this.ended) return { value: undefined, done: true };
      if (this.paused) this.resume();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<Uint8Array[]>> {
    this.stop();
    if (!this.ended) this.stream.destroy();
    return { value: undefined, done: true };
  }

  private readonly onData = (chunk: Buffer | string) => {
    this.lastData = Date.now();
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(bytes);
    this.bytes += bytes.byteLength;
    if (this.bytes < BATCH) return;
    this.cut();
    if (this.ready.length >= READ_AHEAD) {
      this.paused = true;
      this.stream.pause();
    }
    this.notify();
  };

  private readonly onEnd = () => {
    this.cut();
    this.ended = true;
    this.stop();
    this.notify();
  };

  private readonly onError = (error: unknown) => {
    this.cut();
    this.failure ??= { error };
    this.stop();
    this.notify();
  };

  private readonly onClose = () => {
    if (!this.ended) this.onError(new Error('connection closed before the body ended'));
  };

  /** Fires `onStall` only after `stallMs` without data while the stream is flowing. */
  private readonly checkStall = () => {
    const idle = Date.now() - this.lastData;
    if (this.paused || idle < this.stallMs) {
      this.timer = setTimeout(this.checkStall, this.paused ? this.stallMs : this.stallMs - idle);
      return;
    }
    this.timer = undefined;
    this.onStall();
  };

  private resume(): void {
    this.paused = false;
    this.lastData = Date.now();
    this.stream.resume();
  }

  /** Moves the chunks collected so far into one buffer ready for the consumer. */
  private cut(): void {
    if (this.bytes === 0) return;
    this.ready.push(this.chunks);
    this.chunks = [];
    this.bytes = 0;
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stream.off('data', this.onData);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
