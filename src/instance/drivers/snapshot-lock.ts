// The snapshotter's records are locked per change, but unpacking layers and preparing a snapshot
// on top (or removing one) must not interleave with another process doing the same: runs, and
// the recovery of killed runs, take turns on `<stateDir>/snapshots/overlay.lock`.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lock } from '../../core/index.ts';
import { snapshotLockPath } from '../../image/index.ts';

/** Runs `work` holding the cross-process snapshot lock of `stateDir`. */
export async function withSnapshotLock<T>(stateDir: string, work: () => Promise<T>): Promise<T> {
  const path = snapshotLockPath(stateDir);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const held = await lock(path, { timeoutMs: 10 * 60 * 1000 });
  try {
    return await work();
  } finally {
    await held.release();
  }
}
