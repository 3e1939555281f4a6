// Lock files holding the holder's pid: the one cross-process lock of the content store, the image
// store, the snapshotter and builds. A holder that died (SIGKILL, reboot) leaves a file whose pid
// is gone, and the next caller takes it over. The lock is a symlink whose target is the pid: it
// is created with its content in one step, and needs no data block, so it is taken on a full
// disk too, where the cleanup that frees space (prune, undoing a failed unpack) needs it.
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
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
    if (holder === 'dead' && !takeOver(path)) return undefined;
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

/** Creates the lock (a symlink to our pid: atomic, and never seen empty); false if it exists. */
function create(path: string): boolean {
  try {
    symlinkSync(String(process.pid), path);
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  }
}

/**
 * Moves a dead holder's file aside. If what moved is a live holder's (the dead one's file was
 * replaced after we read it), it is linked back; false then, as the lock is held. Only a third
 * caller creating the lock in that instant could then hold it alongside the one we moved.
 */
function takeOver(path: string): boolean {
  const aside = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
  try {
    if (holderOf(aside) !== 'alive') return true;
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
    pid = Number.parseInt(readPid(path), 10);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 'gone';
    throw err;
  }
  if (!Number.isInteger(pid) || pid <= 0) return 'dead';
  if (pid === process.pid) return 'alive';
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (err) {
    return isErrno(err, 'ESRCH') ? 'dead' : 'alive';
  }
}

/** The pid a lock file names (symlink target, or a regular file's content as older Berth wrote). */
export function lockHolderPid(path: string): number {
  return Number.parseInt(readPid(path), 10);
}

function readPid(path: string): string {
  try {
    return readlinkSync(path);
  } catch (err) {
    if (isErrno(err, 'EINVAL')) return readFileSync(path, 'utf8');
    throw err;
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
