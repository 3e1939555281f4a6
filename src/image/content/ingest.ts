import { closeSync, openSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, removeFile, tryLock } from '../../core/index.ts';
import { tempPathFor } from './atomic.ts';
import { digestHex } from './digest.ts';
import type { ContentStore, IngestOptions, OpenedSource, WrittenBlob } from './store.ts';
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
    truncateSync(partial, 0);
    offset = 0;
  }
  // A partial that already holds every byte (a crash before the rename) needs no request.
  const complete = options.size !== undefined && offset === options.size && offset > 0;
  const source: OpenedSource = complete ? { body: emptyBody(), offset } : await options.open(offset);
  if (source.offset !== offset) {
    // The source could not serve the range: start over.
    if (source.offset !== 0) throw new Error(`source resumed at ${source.offset}, asked for ${offset}`);
    offset = 0;
  }
  // Created only once the source answered: a failed request leaves no empty partial behind.
  const fd = openSync(partial, offset === 0 ? 'w' : 'a', 0o644);
  try {
    await appendVerified(fd, source.body, {
      ...expected(options),
      start: offset,
      prefix: partial,
      file: partial,
    });
  } catch (err) {
    closeSync(fd);
    if (!keepsPartial(err)) removeFile(partial);
    throw err;
  }
  return store.commit(fd, partial, options);
}

/**
 * Wrong bytes are discarded; bytes cut short (or a dropped connection) are kept to resume. On a
 * full disk the partial is discarded too: kept, it would hold the filesystem full for everything
 * else on it until a prune (which spares young partials) or a retry.
 */
function keepsPartial(err: unknown): boolean {
  if (!(err instanceof BerthError)) return true;
  return (
    err.code !== 'ERR_IMAGE_DIGEST_MISMATCH' &&
    err.code !== 'ERR_IMAGE_BLOB_SIZE_MISMATCH' &&
    err.code !== 'ERR_DISK_FULL'
  );
}

async function ingestPrivately(store: ContentStore, options: IngestOptions): Promise<WrittenBlob> {
  const temp = tempPathFor(join(store.ingestDir, digestHex(options.digest)));
  const source = await options.open(0);
  const fd = openSync(temp, 'wx', 0o644);
  try {
    await appendVerified(fd, source.body, { ...expected(options), start: 0, file: temp });
  } catch (err) {
    closeSync(fd);
    removeFile(temp);
    throw err;
  }
  return store.commit(fd, temp, options);
}

function expected(options: IngestOptions) {
  return { digest: options.digest, size: options.size, what: options.what, onProgress: options.onProgress };
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
