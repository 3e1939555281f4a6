import { createReadStream, writev } from 'node:fs';
import { bufferFor, startWorkerJob, type WorkerJob } from './blob-writers.ts';
import { newHasher } from './digest.ts';
import type { Chunks } from './verify.ts';

/** Where a blob's verified bytes go: hashed and appended to an open file. */
export interface BlobSink {
  /** Takes a chunk or a batch (which must not change afterwards); a returned promise asks the caller to wait. */
  add(item: Chunks): Promise<void> | undefined;
  /** Writes what is buffered and returns the sha256 hex of every byte (prefix included). */
  finish(): Promise<string>;
  /** Writes what is buffered (kept for a resume) and lets go of the file; never throws. */
  abandon(): Promise<void>;
}

/** The bytes already in a partial file that the digest must cover. */
export interface Prefix {
  path: string;
  length: number;
}

// Chunks from the network are ~64 KiB; one write (or one message to a worker) per MiB saves
// syscalls, messages and promise turns.
const BATCH = 1024 * 1024;
// Bytes a worker may have queued before the reader waits: keeps memory bounded when the disk
// or the hash is slower than the network.
const MAX_IN_FLIGHT = 8 * BATCH;
// Each message to a worker costs a wake-up of that thread: fewer, larger ones.
const WORKER_BATCH = 2 * BATCH;

/** A sink on a writer thread when one is available, else on the main thread. */
export async function openSink(fd: number, prefix: Prefix | undefined): Promise<BlobSink> {
  const job = await startWorkerJob(fd, prefix);
  if (job) return new WorkerSink(job);
  const hasher = newHasher();
  if (prefix && prefix.length > 0) {
    for await (const chunk of createReadStream(prefix.path, { end: prefix.length - 1 })) hasher.update(chunk);
  }
  return new ThreadSink(fd, hasher);
}

/** Batches chunks up to `limit` bytes. */
class Batch {
  chunks: Uint8Array[] = [];
  bytes = 0;
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  push(item: Chunks): boolean {
    const chunks = item instanceof Uint8Array ? [item] : item;
    for (const chunk of chunks) {
      this.chunks.push(chunk);
      this.bytes += chunk.byteLength;
    }
    return this.bytes >= this.limit;
  }

  take(): Uint8Array[] {
    const chunks = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return chunks;
  }
}

class WorkerSink implements BlobSink {
  private readonly job: WorkerJob;
  private readonly batch = new Batch(WORKER_BATCH);

  constructor(job: WorkerJob) {
    this.job = job;
  }

  add(item: Chunks): Promise<void> | undefined {
    if (!this.batch.push(item)) return undefined;
    this.send();
    return this.job.inFlight > MAX_IN_FLIGHT ? this.job.drained() : undefined;
  }

  async finish(): Promise<string> {
    this.send();
    return this.job.finish();
  }

  async abandon(): Promise<void> {
    try {
      this.send();
    } catch {
      // The worker failed: nothing more can be written.
    }
    await this.job.abandon();
  }

  /**
   * Copies the batch into one fresh buffer and transfers it (network chunks share their memory,
   * and Buffer.concat's buffers are copied again by postMessage; a plain Uint8Array is not).
   */
  private send(): void {
    if (this.batch.bytes === 0) {
      this.job.check();
      return;
    }
    const bytes = bufferFor(this.batch.bytes);
    let at = 0;
    for (const chunk of this.batch.take()) {
      bytes.set(chunk, at);
      at += chunk.byteLength;
    }
    this.job.send(bytes);
  }
}

class ThreadSink implements BlobSink {
  private readonly fd: number;
  private readonly hasher: ReturnType<typeof newHasher>;
  private readonly batch = new Batch(BATCH);

  constructor(fd: number, hasher: ReturnType<typeof newHasher>) {
    this.fd = fd;
    this.hasher = hasher;
  }

  add(item: Chunks): Promise<void> | undefined {
    if (item instanceof Uint8Array) this.hasher.update(item);
    else for (const chunk of item) this.hasher.update(chunk);
    return this.batch.push(item) ? writeAll(this.fd, this.batch.take()) : undefined;
  }

  async finish(): Promise<string> {
    await writeAll(this.fd, this.batch.take());
    return this.hasher.digest('hex');
  }

  async abandon(): Promise<void> {
    await writeAll(this.fd, this.batch.take()).catch(() => {});
  }
}

/** writev(2) of every byte of `chunks` at the file's position, retrying short writes. */
async function writeAll(fd: number, chunks: Uint8Array[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    const written = await new Promise<number>((resolve, reject) =>
      writev(fd, rest, (err, n) => (err ? reject(err) : resolve(n))),
    );
    if (written === 0) throw new Error(`writev to fd ${fd} wrote nothing`);
    rest = skipBytes(rest, written);
  }
}

function skipBytes(chunks: Uint8Array[], n: number): Uint8Array[] {
  let left = n;
  let i = 0;
  while (i < chunks.length && left >= (chunks[i] as Uint8Array).byteLength)
    left -= (chunks[i++] as Uint8Array).byteLength;
  if (i === chunks.length) return [];
  return [(chunks[i] as Uint8Array).subarray(left), ...chunks.slice(i + 1)];
}
