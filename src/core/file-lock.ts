// Lock files naming their holder: the one cross-process lock of the content store, the image
// store, the snapshotter, runs and builds. A holder that died (SIGKILL, reboot) leaves a lock
// that names a process no longer there, and the next caller takes it over.
// - The lock is a symlink whose target names the holder: it is created with its content in one
//   step (never seen empty) and needs no data block, so it is taken on a full disk too, where the
//   clean-up that frees space (prune, undoing a failed unpack) needs it.
// - It names the holder's pid, boot id and start time: lock files outlive a reboot in the state
//   directory, and by then (or after pids wrap) the dead holder's pid may be a live process's,
//   which must not keep the lock held for ever.
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
    if (holder === 'dead' && !breakLock(path, (h) => !alive(h))) return undefined;
  }
  return undefined;
}
/** Whether a live process holds the lock at `path` (without taking it). */
export function isLockHeld(path: string): boolean {
  return holderOf(path) === 'alive';
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

/** Creates the lock: a symlink whose target names us (`<pid> <boot id> <start time>`); false if it exists. */
function create(path: string): boolean {
  try {
    symlinkSync(`${process.pid} ${ownIdentity()}`, path);
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  }
}

/**
 * Moves the lock file aside and removes it when `stale` says so of the holder it names (pid NaN
 * when unreadable). If what moved is not stale (a live holder's file replaced the stale one after the
 * caller looked), it is linked back. True when the lock is free to take. Only a third caller
 * creating the lock in that instant could then hold it alongside the one that was moved.
 */
export function breakLock(path: string, stale: (holder: LockHolder) => boolean): boolean {
  const aside = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
  try {
    if (stale(holderIn(aside))) return true;
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
  let holder: LockHolder;
  try {
    holder = holderIn(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 'gone';
    throw err;
  }
  return alive(holder) ? 'alive' : 'dead';
}

/** Who a lock file names. */
export interface LockHolder {
  pid: number;
  /** `<boot id> <start time>`; absent in files written before identities. */
  identity: string | undefined;
}

/** Reads a lock: a symlink's target, or a regular file's `<pid>\n` as older Berth wrote. */
function holderIn(path: string): LockHolder {
  let text: string;
  try {
    text = readlinkSync(path);
  } catch (err) {
    if (!isErrno(err, 'EINVAL')) throw err;
    text = readFileSync(path, 'utf8');
  }
  const [pid = '', ...identity] = text.trim().split(/\s+/);
  return { pid: Number.parseInt(pid, 10), identity: identity.length > 0 ? identity.join(' ') : undefined };
}

function alive({ pid, identity }: LockHolder): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return identity === undefined || identity === ownIdentity();
  const running = identityOf(pid);
  // A lock written before identities (a pid alone) is judged by its pid alone.
  return running !== undefined && (identity === undefined || identity === running);
}

let own: string | undefined;

/** `<boot id> <start time>` of this process, as lock files name their holder. */
function ownIdentity(): string {
  own ??= identityOf(process.pid) ?? '';
  return own;
}

/** Whether process `pid` runs (a zombie does not): what a lock's holder is checked against. */
export function processAlive(pid: number): boolean {
  return identityOf(pid) !== undefined;
}

/**
 * `<boot id> <start time in clock ticks since boot>` of process `pid` (field 22 of its
 * /proc stat, after the parenthesised name, which may hold spaces); undefined when no such
 * process runs, or only its zombie is left (it holds nothing, and a parent or an init that does
 * not reap may leave it for good). A pid with the same identity is the same process.
 */
export function identityOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ESRCH')) return undefined;
    throw err;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return `${bootId()} ${fields[19]}`;
}

let boot: string | undefined;

function bootId(): string {
  boot ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return boot;
}

/** Removes a file that may already be gone (a temp file after a failure, a released lock); never throws. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or left for the next cleanup: never masks the failure being handled.
  }
}
