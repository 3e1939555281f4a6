import { createReadStream } from 'node:fs';
import { type FileHandle, open, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../core/index.ts';
import { tempPathFor } from './atomic.ts';
import { digestHex, newHasher } from './digest.ts';
import { tryLock } from './lock.ts';
import type { ContentStore, IngestOptions, WrittenBlob } from './store.ts';
import { appendVerified } from './verify.ts';

/**
 * Downloads into `<ingest>/<hex>.partial` under a lock keyed by the digest. On an interrupted
 * stream the partial file stays for the next attempt; on a digest or size mismatch it is
 * removed. If another live process holds the lock, this download goes to a private temp file.
 */
export async function ingestResumable(store: ContentStore, options: IngestOptions): Promise<WrittenBlob> {
  const held = await tryLock(join(store.ingestDir, `${digestHex(options.digest)}.lock`));
  if (!held) return ingestPrivately(store, options);
  try {
    return await resume(store, options);
  } finally {
    await held.release();
  }
}

async function resume(store: ContentStore, options: IngestOptions): Promise<WrittenBlob> {
  const partial = store.partialPath(options.digest);
  let offset = await store.partialSize(options.digest);
  if (options.size !== undefined && offset > options.size) {
    await truncate(partial, 0);
    offset = 0;
  }
  const hasher = newHasher();
  if (offset > 0) {
    for await (const chunk of createReadStream(partial, { end: offset - 1 })) hasher.update(chunk);
  }
  // A partial that already holds every byte (a crash before the rename) needs no request.
  const complete = options.size !== undefined && offset === options.size && offset > 0;
  const source = complete ? { body: [] as Uint8Array[], offset } : await options.open(offset);
  if (source.offset !== offset) {
    // The source could not serve the range: start over.
    if (source.offset !== 0) throw new Error(`source resumed at ${source.offset}, asked for ${offset}`);
    await truncate(partial, 0).catch(() => {});
    return resumeFromZero(store, options, source.body);
  }
  const handle = await open(partial, 'a', 0o644);
  return appendAndCommit(store, handle, { options, start: offset, hasher, body: source.body });
}

async function resumeFromZero(
  store: ContentStore,
  options: IngestOptions,
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<WrittenBlob> {
  const handle = await open(store.partialPath(options.digest), 'w', 0o644);
  return appendAndCommit(store, handle, { options, start: 0, hasher: newHasher(), body });
}

async function appendAndCommit(
  store: ContentStore,
  handle: FileHandle,
  step: {
    options: IngestOptions;
    start: number;
    hasher: ReturnType<typeof newHasher>;
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  },
): Promise<WrittenBlob> {
  const { options } = step;
  const partial = store.partialPath(options.digest);
  try {
    await appendVerified(handle, step.body, {
      digest: options.digest,
      size: options.size,
      what: options.what,
      start: step.start,
      hasher: step.hasher,
      onProgress: options.onProgress,
    });
  } catch (err) {
    await handle.close();
    if (!keepsPartial(err)) await unlink(partial).catch(() => {});
    throw err;
  }
  return store.commit(handle, partial, options.digest);
}

/** Wrong bytes are discarded; bytes cut short (or a dropped connection) are kept to resume. */
function keepsPartial(err: unknown): boolean {
  if (!(err instanceof BerthError)) return true;
  return err.code !== 'ERR_IMAGE_DIGEST_MISMATCH' && err.code !== 'ERR_IMAGE_BLOB_SIZE_MISMATCH';
}

async function ingestPrivately(store: ContentStore, options: IngestOptions): Promise<WrittenBlob> {
  const temp = tempPathFor(join(store.ingestDir, digestHex(options.digest)));
  const source = await options.open(0);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await appendVerified(handle, source.body, {
      digest: options.digest,
      size: options.size,
      what: options.what,
      start: 0,
      hasher: newHasher(),
      onProgress: options.onProgress,
    });
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw err;
  }
  return store.commit(handle, temp, options.digest);
}
