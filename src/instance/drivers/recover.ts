// A `berth run` killed with SIGKILL (or OOM-killed, or by a power loss) cannot run its undo. The
// next `berth run` does it: for every run whose owner lock it can take (the owner is dead) and
// every `run-<id>` snapshot without a live owner, it force-deletes the container (killing it if
// it still runs: it was a foreground `--rm` container whose owner is gone), unmounts and removes
// the bundle, removes the snapshot, then the run's record and lock. A live owner's run is never
// touched. With nothing to recover this is one readdir and one read of the snapshot records.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, parseMountInfo } from '../../core/index.ts';
import { libcMountSyscalls } from '../../image/index.ts';
import { deleteContainer } from '../../runtime/container/index.ts';
import { StateStore } from '../../runtime/state/index.ts';
import { OverlaySnapshotter } from '../../storage/index.ts';
import { readRunRecord, runFileNames, takeOverRun } from './run-owner.ts';
import { withSnapshotLock } from './snapshot-lock.ts';

/** Kernel and runtime access of the recovery, replaceable in tests. */
export interface RunRecoveryDeps {
  /** Force-deletes container `id` under runtime root `root`: kills it, removes its state and cgroups. */
  deleteContainer(root: string, id: string): Promise<void>;
  /** umount2(2) with MNT_DETACH. */
  unmount(target: string): void;
  /** The text of /proc/self/mountinfo. */
  mountinfo(): string;
}

export interface RunRecoveryOptions {
  /** The state directory whose runs and snapshots are checked. */
  stateDir: string;
  /** Where a run without a record (killed before writing it, or from an older Berth) kept its bundle. */
  runDir: string;
}

/** What a recovery pass did: runs cleaned up, and runs it could not clean up (retried next time). */
export interface RunRecovery {
  recovered: string[];
  failed: BerthError[];
}

/** The real kernel and runtime. */
export const KERNEL_RECOVERY: RunRecoveryDeps = {
  deleteContainer: async (root, id) => {
    await deleteContainer(new StateStore(root), id, true);
  },
  unmount: (target) => libcMountSyscalls.unmount(target),
  mountinfo: () => readFileSync('/proc/self/mountinfo', 'utf8'),
};

const RUN_ID = /^[0-9a-f]{64}$/;

/** Cleans up after `berth run`s whose process died without running their undo. */
export async function recoverRunLeftovers(
  o: RunRecoveryOptions,
  deps: RunRecoveryDeps = KERNEL_RECOVERY,
): Promise<RunRecovery> {
  const result: RunRecovery = { recovered: [], failed: [] };
  const snapshotter = new OverlaySnapshotter(join(o.stateDir, 'snapshots', 'overlay'));
  for (const id of await leftoverRuns(o.stateDir, snapshotter)) {
    const owner = await takeOverRun(o.stateDir, id);
    if (owner === undefined) continue;
    try {
      await removeRun({ ...o, id, snapshotter, deps });
    } catch (err) {
      await owner.abandon();
      result.failed.push(recoveryFailed(id, err));
      continue;
    }
    await owner.release();
    result.recovered.push(id);
  }
  return result;
}

/** Ids of runs with a lock, a record or a `run-<id>` snapshot; whether their owner lives is checked after. */
async function leftoverRuns(stateDir: string, snapshotter: OverlaySnapshotter): Promise<string[]> {
  const ids = new Set<string>();
  for (const name of runFileNames(stateDir)) {
    const match = /^([0-9a-f]{64})\.(lock|json)$/.exec(name);
    if (match) ids.add(match[1]!);
  }
  for (const snapshot of await snapshotter.list()) {
    const id = snapshot.key.slice('run-'.length);
    if (snapshot.key.startsWith('run-') && RUN_ID.test(id)) ids.add(id);
  }
  return [...ids];
}

/** In the order the run's own undo goes: container, mount, bundle, snapshot. */
async function removeRun(
  o: RunRecoveryOptions & { id: string; snapshotter: OverlaySnapshotter; deps: RunRecoveryDeps },
) {
  const runDir = readRunRecord(o.stateDir, o.id)?.runDir ?? o.runDir;
  await o.deps.deleteContainer(join(runDir, 'containers'), o.id);
  const bundle = join(runDir, 'bundles', o.id);
  // Deepest first; an unmount that fails stops here, before rm could reach into a mounted root.
  const mounts = parseMountInfo(o.deps.mountinfo())
    .map((m) => m.mountPoint)
    .filter((m) => m === bundle || m.startsWith(`${bundle}/`))
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) o.deps.unmount(mount);
  await rm(bundle, { recursive: true, force: true });
  const key = `run-${o.id}`;
  await withSnapshotLock(o.stateDir, async () => {
    if ((await o.snapshotter.list()).some((s) => s.key === key)) await o.snapshotter.remove(key);
  });
}

function recoveryFailed(id: string, cause: unknown): BerthError {
  return new BerthError({
    code: 'ERR_INSTANCE_RUN_RECOVERY',
    category: 'Internal',
    message: `could not clean up after the killed run ${id.slice(0, 12)}: ${(cause as Error).message ?? String(cause)}`,
    hint: 'the next berth run tries again; run with --debug for the cause',
    cause,
  });
}
