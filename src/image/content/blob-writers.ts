import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { BerthError } from '../../core/index.ts';

/**
 * A small pool of worker threads that hash and write blob bytes, so a pull's main thread only
 * reads the network: sha256 (~50 ms per 100 MB even with SHA-NI) and write(2) dispatch move to
 * otherwise idle cores. A long-lived process (berthd) turns them on with `useBlobWriterThreads`;
 * they start on first use, serve every later blob and pull, and are unref'd while idle so they
 * never keep a process alive.
 *
 * A worker writes to the descriptor the main thread opened (descriptors belong to the process),
 * in message order; the main thread closes it only after the worker acknowledged the job's end.
 */

/** Messages to a worker: a job is begin, data…, then end (digest wanted) or abandon. */
type ToWorker =
  | { kind: 'begin'; id: number; fd: number; prefix?: { path: string; length: number } }
  | { kind: 'data'; id: number; buffer: ArrayBuffer; length: number }
  | { kind: 'end' | 'abandon'; id: number };

type FromWorker =
  | { kind: 'written'; id: number; bytes: number; spent: ArrayBuffer[] }
  | { kind: 'done'; id: number; hex: string }
  | { kind: 'abandoned'; id: number }
  | { kind: 'failed'; id: number; message: string; code?: string };

/**
 * The worker's whole program, run with `eval` (no module to resolve in the bundle). It must not
 * close over anything: it is sent as source text.
 */
function workerMain(): void {
  const { parentPort } = require('node:worker_threads');
  const { createHash } = require('node:crypto');
  const fs = require('node:fs');
  const jobs = new Map();
  let spent: ArrayBuffer[] = [];
  const ACK_STEP = 4 * 1024 * 1024;
  const fail = (id: number, err: { message: string; code?: string }) => {
    jobs.set(id, { failed: true });
    parentPort.postMessage({ kind: 'failed', id, message: err.message, code: err.code });
  };
  const hashPrefix = (hash: { update(b: Uint8Array): void }, path: string, length: number) => {
    const fd = fs.openSync(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      for (let at = 0; at < length; ) {
        const n = fs.readSync(fd, buf, 0, Math.min(buf.length, length - at), at);
        if (n === 0) throw new Error(`${path} ended after ${at} of ${length} bytes`);
        hash.update(buf.subarray(0, n));
        at += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  parentPort.on('message', (m: ToWorker) => {
    if (m.kind === 'begin') {
      const hash = createHash('sha256');
      jobs.set(m.id, { fd: m.fd, hash, unacknowledged: 0 });
      try {
        if (m.prefix) hashPrefix(hash, m.prefix.path, m.prefix.length);
      } catch (err) {
        fail(m.id, err as Error);
      }
      return;
    }
    const job = jobs.get(m.id);
    if (m.kind === 'data') {
      if (!job || job.failed) return;
      const bytes = new Uint8Array(m.buffer, 0, m.length);
      try {
        job.hash.update(bytes);
        for (let at = 0; at < bytes.length; ) at += fs.writeSync(job.fd, bytes, at);
        spent.push(m.buffer);
        // Acknowledged in steps of a few MiB: each message wakes the main thread.
        job.unacknowledged += bytes.length;
        if (job.unacknowledged >= ACK_STEP) {
          // The buffers go back with the acknowledgement, to carry the next bytes.
          parentPort.postMessage({ kind: 'written', id: m.id, bytes: job.unacknowledged, spent }, spent);
          spent = [];
          job.unacknowledged = 0;
        }
      } catch (err) {
        fail(m.id, err as Error);
      }
      return;
    }
    jobs.delete(m.id);
    if (job?.failed) return;
    if (m.kind === 'end') parentPort.postMessage({ kind: 'done', id: m.id, hex: job.hash.digest('hex') });
    else parentPort.postMessage({ kind: 'abandoned', id: m.id });
  });
}

const WORKER_SOURCE = `(${workerMain.toString()})()`;

interface Job {
  resolve(result: FromWorker): void;
  reject(err: Error): void;
  /** The worker reported a failure or died: further data is refused. */
  error?: Error;
  onWritten(bytes: number): void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
}

const POOL_SIZE = Math.max(1, Math.min(2, availableParallelism()));
// Starting a worker costs ~40 ms of CPU on another core, more than it saves on one short pull
// (measured: a one-shot `berth pull` was ~50 ms slower with it). So a short command hashes on
// its own thread, and only a process that serves many pulls (berthd) turns the pool on.
let wanted = 0;
let unusable = false;
const slots: (Slot | undefined)[] = [];
let nextId = 1;
let nextSlot = 0;
let workerModule: typeof import('node:worker_threads') | undefined;

// Buffers that carried bytes to a worker and came back: reused, so a pull allocates (and the
// collector frees) a few MiB instead of one buffer per MiB.
const BUFFER_BYTES = 2 * 1024 * 1024 + 64 * 1024;
const MAX_SPARE = 16;
const spare: ArrayBuffer[] = [];

/** A buffer of `length` bytes to send with `WorkerJob.send`, recycled when one is spare. */
export function bufferFor(length: number): Uint8Array<ArrayBuffer> {
  const buffer =
    length <= BUFFER_BYTES ? (spare.pop() ?? new ArrayBuffer(BUFFER_BYTES)) : new ArrayBuffer(length);
  return new Uint8Array(buffer, 0, length);
}

/** Turns the writer threads on for this process's later blob writes: for long-lived processes (berthd). */
export function useBlobWriterThreads(): void {
  wanted = POOL_SIZE;
}

/** Sets how many writer threads later jobs use (0, the default: the main thread). */
export function setBlobWriterThreads(n: number): void {
  wanted = n;
}

/** Stops the writer threads (their jobs fail with ERR_IMAGE_BLOB_WRITER_FAILED); the next job starts new ones. */
export async function stopBlobWriters(): Promise<void> {
  await Promise.all(slots.map((slot) => slot?.worker.terminate()));
}

function wantedThreads(): number {
  return unusable ? 0 : wanted;
}

/** Loads node:worker_threads once; undefined when it cannot be used (the caller hashes in-thread). */
async function loadWorkerModule(): Promise<typeof import('node:worker_threads') | undefined> {
  try {
    workerModule ??= await import('node:worker_threads');
  } catch {
    unusable = true;
  }
  return workerModule;
}

/** One blob's bytes on their way to a worker: `send` them in order, then `finish` or `abandon`. */
export interface WorkerJob {
  /** Queues bytes (the whole buffer is transferred: the caller must not touch it again; see `bufferFor`). */
  send(bytes: Uint8Array<ArrayBuffer>): void;
  /** Bytes sent but not yet written; the caller waits on `drained` when this grows. */
  readonly inFlight: number;
  /** Resolves when every byte sent so far is written (or the job failed). */
  drained(): Promise<void>;
  /** Throws the worker's failure, if any. */
  check(): void;
  /** Waits for every byte to be written; returns the sha256 hex of prefix + bytes. */
  finish(): Promise<string>;
  /** Waits for queued bytes to be written and forgets the job: the descriptor may then be closed. */
  abandon(): Promise<void>;
}

/**
 * Starts a job writing to `fd` (open for writing at the right position), hashing first the
 * `prefix.length` bytes already in `prefix.path`. Undefined when no worker can be used.
 */
export async function startWorkerJob(
  fd: number,
  prefix: { path: string; length: number } | undefined,
): Promise<WorkerJob | undefined> {
  const threads = wantedThreads();
  if (threads === 0) return undefined;
  const module = await loadWorkerModule();
  if (!module) return undefined;
  const slot = takeSlot(module, threads);
  if (!slot) return undefined;
  return new RunningJob(slot, fd, prefix);
}

function takeSlot(module: typeof import('node:worker_threads'), threads: number): Slot | undefined {
  const index = nextSlot++ % threads;
  const existing = slots[index];
  if (existing) return existing;
  let worker: Worker;
  try {
    worker = new module.Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false });
  } catch {
    unusable = true; // cannot start threads here (resource limits): hash on the main thread
    return undefined;
  }
  const slot: Slot = { worker, jobs: new Map() };
  worker.unref();
  worker.on('message', (m: FromWorker) => deliver(slot, m));
  worker.on('error', (err) => lose(slot, index, err));
  worker.on('exit', (code) => lose(slot, index, new Error(`exited with code ${code}`)));
  slots[index] = slot;
  return slot;
}

function deliver(slot: Slot, m: FromWorker): void {
  if (m.kind === 'written') for (const buffer of m.spent) if (spare.length < MAX_SPARE) spare.push(buffer);
  const job = slot.jobs.get(m.id);
  if (!job) return;
  if (m.kind === 'written') {
    job.onWritten(m.bytes);
    return;
  }
  if (m.kind === 'failed') {
    const err = Object.assign(new Error(m.message), m.code ? { code: m.code } : {});
    job.error = err;
  }
  job.resolve(m);
}

/** A dead worker fails its jobs (never a hang) and is replaced on the next use. */
function lose(slot: Slot, index: number, cause: Error): void {
  if (slots[index] === slot) slots[index] = undefined;
  const err = writerFailed(cause);
  for (const job of slot.jobs.values()) {
    job.error = err;
    job.reject(err);
  }
  slot.jobs.clear();
}

class RunningJob implements WorkerJob {
  inFlight = 0;
  private readonly slot: Slot;
  private readonly id = nextId++;
  private readonly job: Job;
  private readonly outcome: Promise<FromWorker>;
  private waiter: (() => void) | undefined;

  constructor(slot: Slot, fd: number, prefix: { path: string; length: number } | undefined) {
    this.slot = slot;
    const { promise, resolve, reject } = Promise.withResolvers<FromWorker>();
    promise.catch(() => {}); // observed through check()/finish()/abandon()
    this.outcome = promise;
    this.job = {
      resolve: (result) => {
        resolve(result);
        this.wake(); // a reader waiting for room learns of a failure at once
      },
      reject: (err) => {
        reject(err);
        this.wake();
      },
      onWritten: (bytes) => {
        this.inFlight -= bytes;
        this.wake();
      },
    };
    if (slot.jobs.size === 0) slot.worker.ref();
    slot.jobs.set(this.id, this.job);
    this.post({ kind: 'begin', id: this.id, fd, prefix });
  }

  send(bytes: Uint8Array<ArrayBuffer>): void {
    this.check();
    this.inFlight += bytes.byteLength;
    if (bytes.byteOffset !== 0) throw new Error('blob writer bytes must come from bufferFor()');
    const message: ToWorker = { kind: 'data', id: this.id, buffer: bytes.buffer, length: bytes.byteLength };
    this.slot.worker.postMessage(message, [bytes.buffer]);
  }

  drained(): Promise<void> {
    if (this.inFlight === 0 || this.job.error) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  check(): void {
    if (this.job.error) throw this.job.error;
  }

  async finish(): Promise<string> {
    this.post({ kind: 'end', id: this.id });
    const result = await this.settle();
    if (result.kind !== 'done') throw this.job.error ?? new Error(`blob writer answered ${result.kind}`);
    return result.hex;
  }

  async abandon(): Promise<void> {
    this.post({ kind: 'abandon', id: this.id });
    await this.settle().catch(() => {});
  }

  private async settle(): Promise<FromWorker> {
    try {
      return await this.outcome;
    } finally {
      this.slot.jobs.delete(this.id);
      if (this.slot.jobs.size === 0) this.slot.worker.unref();
    }
  }

  private post(message: ToWorker): void {
    if (!this.job.error) this.slot.worker.postMessage(message);
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

function writerFailed(cause: Error): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_BLOB_WRITER_FAILED',
    category: 'Internal',
    message: `blob writer thread failed: ${cause.message}`,
    hint: 'retry the command: a new writer thread is started; the partial download is kept',
    cause,
  });
}
