// Lock files holding the holder's pid: the one cross-process lock of the content store, the image
// store, the snapshotter and builds. A holder that died (SIGKILL, reboot) leaves a file whose pid
// is gone, and the next caller takes it over.
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { isErrno } from './errors.ts';

/** A held lock file; `release` removes it. */
export interface FileLock {
  release(): Promise<void>;
}

/**
 * Takes the lock file `path` (holding our pid). A lock left by a process that no longer exists
 * is taken over. Returns undefined when a live process holds it.
 * The file operations are synchronous: each takes microseconds on the local state directory,
 * where an asynchronous one waits its turn behind every network chunk queued during a pull.
 */
export async function tryLock(path: string): Promise<FileLock | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(path)) return { release: async () => removeFile(path) };
    const holder = holderOf(path);
    if (holder === 'alive') return undefined;
    // 'gone': released since we tried; 'dead': move its file aside, then try again.
    if (holder === 'dead' && !breakLock(path, (pid) => !alive(pid))) return undefined;
  }
  return undefined;
}
/** Waits (polling) until the lock at `path` is ours; for short critical sections. */
export async function lock(path: string, options: { timeoutMs?: number } = {}): Promise<FileLock> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const held = await tryLock(path);
    if (held) return held;
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Creates the lock file with our pid already in it: written to a temp file and linked into place,
 * so no caller ever reads an empty lock file (between create and write) and takes it for stale.
 */
function create(path: string): boolean {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${process.pid}\n`, { flag: 'wx' });
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  } finally {
    removeFile(temp);
  }
}

/**
 * Moves the lock file aside and removes it when `stale(pid)` says so of the pid it holds (NaN when
 * unreadable). If what moved is not stale (a live holder's file replaced the stale one after the
 * caller looked), it is linked back. True when the lock is free to take. Only a third caller
 * creating the lock in that instant could then hold it alongside the one that was moved.
 */
export function breakLock(path: string, stale: (pid: number) => boolean): boolean {
  const aside = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
  try {
    if (stale(pidIn(aside))) return true;
    try {
      linkSync(aside, path);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    return false;
  } finally {
    removeFile(aside);
  }
}

function holderOf(path: string): 'alive' | 'dead' | 'gone' {
  let pid: number;
  try {
    pid = pidIn(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 'gone';
    throw err;
  }
  return alive(pid) ? 'alive' : 'dead';
}

function pidIn(path: string): number {
  return Number.parseInt(readFileSync(path, 'utf8'), 10);
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

/** Removes a file that may already be gone (a temp file after a failure, a released lock); never throws. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or left for the next cleanup: never masks the failure being handled.
  }
}
