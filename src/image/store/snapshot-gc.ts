// Unpacked layers (committed snapshots keyed by chain ID) outlive the images they came from
// unless something removes them: this collector removes those no image in the store needs.
// It holds the snapshot lock `berth run` holds while it unpacks and prepares its root, so no
// layer is removed between a run finding it and building on it; a `run-…` snapshot then keeps
// its parents. A build's intermediate layers are not images yet, so a running build (its lock
// held) makes the collector leave every layer alone rather than wait for the build.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, type FileLock, lock, tryLock } from '../../core/index.ts';
import type { SnapshotInfo, Snapshotter } from '../../storage/index.ts';
import type { ContentStore, Digest } from '../content/index.ts';
import { parseImageConfig } from '../manifest/index.ts';
import { chainIds } from '../unpack/index.ts';
import type { ImageStore } from './image-store.ts';

export interface CollectSnapshotsOptions {
  /** The overlay snapshotter of the state directory; `cleanup` removes directories no record names. */
  snapshotter: Snapshotter & { cleanup(): Promise<number> };
  images: ImageStore;
  content: ContentStore;
  /** The Berth state directory: its `snapshots/overlay.lock` and `build/build.lock` are taken. */
  stateDir: string;
  /**
   * Consider only the layers of these images (IDs: config digests, whose blobs must still be in
   * the content store), e.g. those `rmi` just removed. Default: every committed snapshot.
   */
  onlyImages?: Iterable<Digest>;
  /** How long to wait for a `berth run` unpacking under the snapshot lock. Default 10 minutes. */
  lockTimeoutMs?: number;
}

export interface CollectSnapshotsResult {
  /** Keys (chain IDs) of the committed snapshots removed, leaves first. */
  removed: string[];
  /** Disk bytes the removed snapshots used, measured before removing them. */
  freedBytes: number;
  /** Snapshot directories no record named, removed. */
  orphansRemoved: number;
  /** Why nothing was collected (a build is running), when so. */
  skipped?: string;
}

/** The snapshot lock `berth run` holds while it unpacks: `<stateDir>/snapshots/overlay.lock`. */
export function snapshotLockPath(stateDir: string): string {
  return join(stateDir, 'snapshots', 'overlay.lock');
}

/** The lock a build holds from start to end: `<stateDir>/build/build.lock`. */
export function buildLockPath(stateDir: string): string {
  return join(stateDir, 'build', 'build.lock');
}

/**
 * Removes committed snapshots that are no layer prefix of any image in the store and that no
 * kept snapshot builds on (leaves first); active snapshots and views, and all under them, stay.
 */
export async function collectSnapshots(options: CollectSnapshotsOptions): Promise<CollectSnapshotsResult> {
  await mkdir(join(options.stateDir, 'build'), { recursive: true, mode: 0o700 });
  const build = await tryLock(buildLockPath(options.stateDir));
  if (!build) {
    return { removed: [], freedBytes: 0, orphansRemoved: 0, skipped: 'a build is running' };
  }
  try {
    await mkdir(join(options.stateDir, 'snapshots'), { recursive: true, mode: 0o700 });
    const held = await snapshotLock(options.stateDir, options.lockTimeoutMs ?? 10 * 60 * 1000);
    try {
      return await sweep(options);
    } finally {
      await held.release();
    }
  } finally {
    await build.release();
  }
}

async function snapshotLock(stateDir: string, timeoutMs: number): Promise<FileLock> {
  try {
    return await lock(snapshotLockPath(stateDir), { timeoutMs });
  } catch (err) {
    // lock() says only this in a plain Error; anything else (EACCES…) passes through.
    if (!(err instanceof Error && err.message.startsWith('timed out'))) throw err;
    throw new BerthError({
      code: 'ERR_IMAGE_SNAPSHOTS_BUSY',
      category: 'Unavailable',
      message: `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${snapshotLockPath(stateDir)}: another berth process is unpacking layers`,
      hint: 'try again when the run that is starting has started',
      cause: err,
    });
  }
}

async function sweep(options: CollectSnapshotsOptions): Promise<CollectSnapshotsResult> {
  const { snapshotter } = options;
  const needed = await neededChains(options);
  const candidates = options.onlyImages ? await chainsOf(options.onlyImages, options.content) : undefined;
  const result: CollectSnapshotsResult = { removed: [], freedBytes: 0, orphansRemoved: 0 };
  if (candidates === undefined) await removeInterruptedUnpacks(snapshotter, result);
  const snapshots = await snapshotter.list();
  const garbage = new Set(
    snapshots
      .filter((s) => s.kind === 'committed' && !needed.has(s.key))
      .filter((s) => candidates === undefined || candidates.has(s.key))
      .map((s) => s.key),
  );
  for (const key of removalOrder(snapshots, garbage)) {
    const freed = await removeMeasured(snapshotter, key);
    if (freed === undefined) continue;
    result.removed.push(key);
    result.freedBytes += freed;
  }
  result.orphansRemoved = await snapshotter.cleanup();
  return result;
}

/**
 * An unpack writes into an active `extract-…` snapshot and commits it when the layer is complete;
 * one still there was killed mid-layer. Both places that unpack hold a lock the collector holds
 * now (a run the snapshot lock, a build the build lock), so none of these is in progress.
 */
async function removeInterruptedUnpacks(snapshotter: Snapshotter, result: CollectSnapshotsResult) {
  for (const s of await snapshotter.list()) {
    if (s.kind !== 'active' || !s.key.startsWith('extract-')) continue;
    const freed = await removeMeasured(snapshotter, s.key);
    if (freed === undefined) continue;
    result.removed.push(s.key);
    result.freedBytes += freed;
  }
}

/** Chain IDs of every layer prefix of every image in the store. */
async function neededChains(options: CollectSnapshotsOptions): Promise<Set<string>> {
  const needed = new Set<string>();
  for (const image of await options.images.list()) {
    let diffIds: string[];
    try {
      diffIds = parseImageConfig(await options.content.readBytes(image.config.digest)).diffIds;
    } catch (err) {
      throw new BerthError({
        code: 'ERR_IMAGE_SNAPSHOT_GC_FAILED',
        category: 'FailedPrecondition',
        message: `cannot tell which unpacked layers image ${image.id.slice(7, 19)} uses: its config cannot be read (${(err as Error).message})`,
        hint: 'remove or re-pull that image; no unpacked layer was removed',
        cause: err,
      });
    }
    for (const chain of chainIds(diffIds)) needed.add(chain);
  }
  return needed;
}

/** Chain IDs of the given images; an image whose config is gone contributes none. */
async function chainsOf(ids: Iterable<Digest>, content: ContentStore): Promise<Set<string>> {
  const chains = new Set<string>();
  for (const id of ids) {
    if (!(await content.has(id))) continue;
    for (const chain of chainIds(parseImageConfig(await content.readBytes(id)).diffIds)) chains.add(chain);
  }
  return chains;
}

/**
 * The garbage snapshots that can go, each after all its children: a snapshot with a child that
 * is not garbage (an active one, a view, a kept layer) stays, and so does everything under it.
 */
function removalOrder(snapshots: SnapshotInfo[], garbage: Set<string>): string[] {
  const children = new Map<string, number>();
  for (const s of snapshots) {
    if (s.parent !== undefined) children.set(s.parent, (children.get(s.parent) ?? 0) + 1);
  }
  const parentOf = new Map(snapshots.map((s) => [s.key, s.parent]));
  const order: string[] = [];
  let leaves = [...garbage].filter((key) => !children.get(key));
  while (leaves.length > 0) {
    const next: string[] = [];
    for (const key of leaves) {
      order.push(key);
      const parent = parentOf.get(key);
      if (parent === undefined) continue;
      const left = (children.get(parent) ?? 0) - 1;
      children.set(parent, left);
      if (left === 0 && garbage.has(parent)) next.push(parent);
    }
    leaves = next;
  }
  return order;
}

/**
 * Removes `key` and returns the bytes it used, or undefined when another process removed it or
 * started building on it meanwhile (the snapshotter refuses to remove a parent).
 */
async function removeMeasured(snapshotter: Snapshotter, key: string): Promise<number | undefined> {
  try {
    const { size } = await snapshotter.usage(key);
    await snapshotter.remove(key);
    return size;
  } catch (err) {
    const code = err instanceof BerthError ? err.code : undefined;
    if (code === 'ERR_STORAGE_SNAPSHOT_STATE' || code === 'ERR_STORAGE_SNAPSHOT_NOT_FOUND') return undefined;
    throw err;
  }
}
