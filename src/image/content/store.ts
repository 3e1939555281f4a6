import { type FileHandle, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError, isErrno } from '../../core/index.ts';
import { syncDirectory, tempPathFor } from './atomic.ts';
import { type Digest, digestHex, isDigest, newHasher } from './digest.ts';
import { ingestResumable } from './ingest.ts';
import { appendVerified, type ExpectedBlob } from './verify.ts';

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
export type OpenAt = (offset: number) => Promise<{ body: AsyncIterable<Uint8Array>; offset: number }>;

export interface IngestOptions {
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
    return (await this.stat(digest)) !== undefined;
  }

  /** Size and write time of a blob; ERR_IMAGE_BLOB_NOT_FOUND when absent. */
  async info(digest: Digest): Promise<BlobInfo> {
    const info = await this.stat(digest);
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
    expected: ExpectedBlob = {},
  ): Promise<WrittenBlob> {
    if (expected.digest) {
      const existing = await this.stat(expected.digest);
      if (existing) return { ...existing, created: false };
    }
    await this.prepare();
    const temp = tempPathFor(join(this.ingestDir, 'write'));
    const handle = await open(temp, 'wx', 0o644);
    let digest: Digest;
    try {
      const chunks = source instanceof Uint8Array ? [source] : source;
      digest = await appendVerified(handle, chunks, { ...expected, start: 0, hasher: newHasher() });
    } catch (err) {
      await handle.close();
      await unlink(temp).catch(() => {});
      throw err;
    }
    return this.commit(handle, temp, digest);
  }

  /**
   * Downloads a blob of known digest with resume: bytes received before an interruption stay in
   * a partial file keyed by the digest, and the next ingest continues from there through `open`.
   */
  async ingest(options: IngestOptions): Promise<WrittenBlob> {
    const existing = await this.stat(options.digest);
    if (existing) return { ...existing, created: false };
    await this.prepare();
    return ingestResumable(this, options);
  }

  /** Bytes held in the partial download of `digest` (0 when none). */
  async partialSize(digest: Digest): Promise<number> {
    try {
      return (await stat(this.partialPath(digest))).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return 0;
      throw err;
    }
  }

  /** Path of the resumable partial download of `digest`. */
  partialPath(digest: Digest): string {
    return join(this.ingestDir, `${digestHex(digest)}.partial`);
  }

  /** Makes a verified temp or partial file visible as the blob `digest`; used by writers in this folder. */
  async commit(handle: FileHandle, temp: string, digest: Digest): Promise<WrittenBlob> {
    try {
      await handle.chmod(0o444);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const existing = await this.stat(digest);
    if (existing) {
      await unlink(temp).catch(() => {});
      return { ...existing, created: false };
    }
    await rename(temp, this.blobPath(digest));
    await syncDirectory(join(this.root, 'blobs', 'sha256'));
    return { ...(await this.info(digest)), created: true };
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
      const info = await this.stat(digest);
      if (info) yield info;
    }
  }

  private async prepare(): Promise<void> {
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
  }

  private async stat(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size, modified: st.mtime };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
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
