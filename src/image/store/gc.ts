import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, tryLock } from '../../core/index.ts';
import type { ContentStore, Digest } from '../content/index.ts';
import type { ImageStore } from './image-store.ts';

export interface GarbageCollectOptions {
  content: ContentStore;
  images: ImageStore;
  /**
   * Blobs and partial downloads younger than this survive even when unreferenced: a pull in
   * another process writes its blobs before it records the image. Default 10 minutes.
   */
  gracePeriodMs?: number;
  now?: () => number;
  /** Sweep only these blobs (e.g. those of an image just removed), whatever their age. */
  only?: Iterable<Digest>;
}

export interface GarbageCollectResult {
  removed: Digest[];
  freedBytes: number;
  partialsRemoved: number;
}

/** Mark and sweep: deletes blobs no image in `images` references, and stale partial downloads. */
export async function collectGarbage(options: GarbageCollectOptions): Promise<GarbageCollectResult> {
  const grace = options.gracePeriodMs ?? 10 * 60 * 1000;
  const cutoff = (options.now ?? Date.now)() - grace;
  return options.images.locked(async () => {
    const marked = await options.images.referencedBlobs();
    const result: GarbageCollectResult = { removed: [], freedBytes: 0, partialsRemoved: 0 };
    const only = options.only ? new Set(options.only) : undefined;
    for await (const blob of options.content.list()) {
      if (marked.has(blob.digest)) continue;
      if (only ? !only.has(blob.digest) : blob.modified.getTime() > cutoff) continue;
      if (await options.content.delete(blob.digest)) {
        result.removed.push(blob.digest);
        result.freedBytes += blob.size;
      }
    }
    if (!only) result.partialsRemoved = await sweepPartials(options.content, cutoff);
    return result;
  });
}

async function sweepPartials(content: ContentStore, cutoff: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(content.ingestDir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names.filter((n) => n.endsWith('.partial'))) {
    const path = join(content.ingestDir, name);
    const held = await tryLock(path.replace(/\.partial$/, '.lock'));
    if (!held) continue; // a download is writing it
    try {
      if ((await stat(path)).mtimeMs <= cutoff) {
        await unlink(path);
        removed++;
      }
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    } finally {
      await held.release();
    }
  }
  return removed;
}
