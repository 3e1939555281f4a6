import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError, SyscallError } from '../../core/index.ts';
import type { CgroupFs } from './fs.ts';

/**
 * Makes `dir` and its missing ancestors below `mountPoint`, calling `visit` for every level from
 * the mount point down (to set up parents, e.g. cpuset or subtree_control). Returns the
 * directories it made, deepest last; on failure it removes them before rethrowing.
 */
export async function makeCgroupDirs(
  fs: CgroupFs,
  mountPoint: string,
  dir: string,
  visit?: (level: string, isLeaf: boolean) => Promise<void>,
): Promise<string[]> {
  const made: string[] = [];
  const parts = posix.relative(mountPoint, dir).split('/').filter(Boolean);
  let current = mountPoint;
  try {
    await visit?.(current, parts.length === 0);
    for (const [i, part] of parts.entries()) {
      current = posix.join(current, part);
      if (await fs.mkdir(current)) made.push(current);
      await visit?.(current, i === parts.length - 1);
    }
    return made;
  } catch (err) {
    await removeDirs(fs, made);
    throw err;
  }
}

/** Removes directories deepest first, ignoring ones already gone (used to undo a create). */
export async function removeDirs(fs: CgroupFs, dirs: readonly string[]): Promise<void> {
  for (const dir of [...dirs].reverse()) {
    try {
      await fs.rmdir(dir);
    } catch {
      // Best effort while unwinding: the original error is the one to report.
    }
  }
}

/** The pids in `dir` and every child cgroup below it. */
export async function listProcs(fs: CgroupFs, dir: string): Promise<number[]> {
  if (!(await fs.exists(dir))) return [];
  const own = (await fs.read(posix.join(dir, 'cgroup.procs')))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
  for (const child of await fs.children(dir)) own.push(...(await listProcs(fs, posix.join(dir, child))));
  return own;
}

const DRAIN_ATTEMPTS = 12;

/**
 * Removes a cgroup and its children, deepest first. rmdir fails with EBUSY while exiting tasks
 * drain, so it retries with a growing delay (~2 s in all) before giving up. Gone already is fine.
 */
export async function removeCgroupTree(fs: CgroupFs, dir: string): Promise<void> {
  for (const child of await fs.children(dir)) await removeCgroupTree(fs, posix.join(dir, child));
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (err) {
      const busy = err instanceof SyscallError && err.errno === 'EBUSY';
      if (!busy || attempt >= DRAIN_ATTEMPTS) throw busyError(dir, err);
      await sleep(Math.min(10 * 2 ** attempt, 400));
    }
  }
}

function busyError(dir: string, cause: unknown): BerthError {
  if (!(cause instanceof SyscallError) || cause.errno !== 'EBUSY') return cause as BerthError;
  return new BerthError({
    code: 'ERR_RUNTIME_CGROUP_BUSY',
    category: 'Conflict',
    message: `remove cgroup ${dir}: still has processes (EBUSY)`,
    hint: 'kill the processes in the cgroup first (kill --all), then delete again',
    cause,
  });
}

/** Polls `check` with a growing delay until it holds; false when `attempts` run out. */
export async function pollUntil(check: () => Promise<boolean>, attempts = 40): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await sleep(Math.min(1 + i * 2, 50));
  }
  return check();
}
