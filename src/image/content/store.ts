import {
  closeSync,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  type Stats,
  statSync,
} from 'node:fs';
import { type FileHandle, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError, isErrno, removeFile } from '../../core/index.ts';
import { syncDirectory, syncFd, tempPathFor } from './atomic.ts';
import { type Digest, digestHex, isDigest } from './digest.ts';
import { ingestResumable } from './ingest.ts';
import { appendVerified, type Chunks, type ExpectedBlob } from './verify.ts';

/** A stored blob. */
export interface BlobInfo {
  digest: Digest;
  size: number;
  /** When the blob was written; garbage collection spares recent blobs. */
  modified: Date;
}

/** Result of a write: the blob, and whether this call created it (false: it was already there). */
export interface WrittenBlob extends BlobInfo {
  created: boolean;
}

/** Opens the source at byte `offset`; returns the body and the offset it really starts at (0 if ranges are unsupported). */
export type OpenAt = (offset: number) => Promise<OpenedSource>;

/** A source opened by `OpenAt`. */
export interface OpenedSource {
  /** Chunks, or batches of chunks (one item per ~1 MiB saves a promise turn per chunk). */
  body: AsyncIterable<Chunks>;
  offset: number;
}

/** Whether a write flushes the blob directory itself. */
export interface DirectorySync {
  /**
   * false: leave the blob directory's flush to a later `syncBlobs()`, which makes many renames
   * durable at once (the blob itself is always flushed before it becomes visible). Default true.
   */
  syncDirectory?: boolean;
}

export interface IngestOptions extends DirectorySync {
  digest: Digest;
  size?: number;
  what?: string;
  open: OpenAt;
  /** Called with the total bytes present so far (including resumed bytes). */
  onProgress?: (done: number) => void;
}

/**
 * Content-addressed blob store under `<root>/blobs/sha256/<hex>`. Every write is verified as it
 * streams, lands in a temp file inside the store and becomes visible only by an atomic rename
 * after fsync: a reader never sees a partial or wrong blob. Safe between processes.
 *
 * Metadata operations (stat, open, rename, unlink) are synchronous: each takes microseconds on
 * the local state directory, while an asynchronous one waits for its turn behind every network
 * chunk queued on the event loop during a pull. Data writes and fsync go to the thread pool.
 */
export class ContentStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The store of a Berth state directory (`<stateDir>/content`). */
  static forStateDir(stateDir: string): ContentStore {
    return new ContentStore(join(stateDir, 'content'));
  }

  /** Path of a blob's file (it may not exist). */
  blobPath(digest: Digest): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  /** Directory of in-progress writes and resumable partial downloads. */
  get ingestDir(): string {
    return join(this.root, 'ingest');
  }

  async has(digest: Digest): Promise<boolean> {
    return this.stat(digest) !== undefined;
  }

  /** Size and write time of a blob; ERR_IMAGE_BLOB_NOT_FOUND when absent. */
  async info(digest: Digest): Promise<BlobInfo> {
    const info = this.stat(digest);
    if (!info) throw blobNotFound(digest);
    return info;
  }

  /** Streams a blob's bytes. */
  async read(digest: Digest): Promise<Readable> {
    const handle = await this.openBlob(digest);
    return handle.createReadStream();
  }

  /** Reads a whole blob into memory, refusing blobs larger than `limit` bytes. */
  async readBytes(digest: Digest, limit = 64 * 1024 * 1024): Promise<Buffer> {
    const handle = await this.openBlob(digest);
    try {
      const { size } = await handle.stat();
      if (size > limit) throw new Error(`blob ${digest} is ${size} bytes, more than the ${limit} asked for`);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  /**
   * Stores content from `source`, verifying it against `expected` while it streams. Without an
   * expected digest the blob is named by the digest computed. Existing blobs are not rewritten.
   */
  async write(
    source: AsyncIterable<Uint8Array> | Uint8Array,
    expected: ExpectedBlob & DirectorySync = {},
  ): Promise<WrittenBlob> {
    if (expected.digest) {
      const existing = this.stat(expected.digest);
      if (existing) return { ...existing, created: false };
    }
    this.prepare();
    const temp = tempPathFor(join(this.ingestDir, 'write'));
    const fd = openSync(temp, 'wx', 0o644);
    let digest: Digest;
    try {
      const chunks = source instanceof Uint8Array ? [source] : source;
      digest = await appendVerified(fd, chunks, { ...expected, start: 0, file: temp });
    } catch (err) {
      closeSync(fd);
      removeFile(temp);
      throw err;
    }
    return this.commit(fd, temp, { digest, syncDirectory: expected.syncDirectory });
  }

  /**
   * Downloads a blob of known digest with resume: bytes received before an interruption stay in
   * a partial file keyed by the digest, and the next ingest continues from there through `open`.
   */
  async ingest(options: IngestOptions): Promise<WrittenBlob> {
    const existing = this.stat(options.digest);
    if (existing) return { ...existing, created: false };
    this.prepare();
    return ingestResumable(this, options);
  }

  /** Bytes held in the partial download of `digest` (0 when none). */
  async partialSize(digest: Digest): Promise<number> {
    return statSync(this.partialPath(digest), { throwIfNoEntry: false })?.size ?? 0;
  }

  /** Makes the renames of writes done with `syncDirectory: false` survive a crash. */
  async syncBlobs(): Promise<void> {
    this.prepare();
    await syncDirectory(join(this.root, 'blobs', 'sha256'));
  }

  /** Path of the resumable partial download of `digest`. */
  partialPath(digest: Digest): string {
    return join(this.ingestDir, `${digestHex(digest)}.partial`);
  }

  /**
   * Makes a verified temp or partial file (open as `fd`, closed here) visible as the blob
   * `digest`: flushed, read-only, then renamed into place. Used by writers in this folder.
   */
  async commit(fd: number, temp: string, blob: { digest: Digest } & DirectorySync): Promise<WrittenBlob> {
    let written: Stats;
    try {
      fchmodSync(fd, 0o444);
      await syncFd(fd);
      written = fstatSync(fd);
    } finally {
      closeSync(fd);
    }
    const existing = this.stat(blob.digest);
    if (existing) {
      removeFile(temp);
      return { ...existing, created: false };
    }
    renameSync(temp, this.blobPath(blob.digest));
    if (blob.syncDirectory !== false) await syncDirectory(join(this.root, 'blobs', 'sha256'));
    return { digest: blob.digest, size: written.size, modified: written.mtime, created: true };
  }

  /** Removes a blob; returns false when it was not there. */
  async delete(digest: Digest): Promise<boolean> {
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** Every blob in the store. */
  async *list(): AsyncGenerator<BlobInfo> {
    let names: string[];
    try {
      names = await readdir(join(this.root, 'blobs', 'sha256'));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names.sort()) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      const info = this.stat(digest);
      if (info) yield info;
    }
  }

  private prepare(): void {
    mkdirSync(join(this.root, 'blobs', 'sha256'), { recursive: true });
    mkdirSync(this.ingestDir, { recursive: true });
  }

  private stat(digest: Digest): BlobInfo | undefined {
    const st = statSync(this.blobPath(digest), { throwIfNoEntry: false });
    return st && { digest, size: st.size, modified: st.mtime };
  }

  private async openBlob(digest: Digest): Promise<FileHandle> {
    try {
      return await open(this.blobPath(digest), 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw blobNotFound(digest);
      throw err;
    }
  }
}

function blobNotFound(digest: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_BLOB_NOT_FOUND',
    category: 'NotFound',
    message: `blob ${digest} is not in the content store`,
    hint: 'pull or load the image that contains it',
  });
}
