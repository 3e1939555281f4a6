// Who owns a `berth run`: before it creates anything, a run takes the pid lock file
// `<stateDir>/runs/<id>.lock` and writes `<id>.json`, naming the run directory that holds its
// bundle and runtime state. Both go only after its undo has run. A run killed with SIGKILL
// leaves them, with a dead pid in the lock: the next `berth run` finds it and cleans up
// (recover.ts). They live in the state directory, next to the snapshots they explain: the run
// directory (/run) is a tmpfs gone after a reboot, and several run directories may share one
// state directory.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  diskFullError,
  type FileLock,
  isDiskFull,
  isErrno,
  lockHolderPid,
  removeFile,
  tryLock,
} from '../../core/index.ts';

/** What a run records about itself next to its lock. */
export interface RunRecord {
  /** Holds `bundles/<id>` and `containers/<id>`. */
  runDir: string;
  /** The owner's pid, as in the lock file. */
  pid?: number;
  /** /proc/sys/kernel/random/boot_id when the run started: after a reboot its pid may be another process's. */
  bootId?: string;
}

/** A run's held owner lock. */
export interface RunOwner {
  /** Removes the record, then the lock: the run left nothing behind. */
  release(): Promise<void>;
  /** Removes only the lock, keeping the record for the next recovery to retry. */
  abandon(): Promise<void>;
}

/** `<stateDir>/runs`: one lock and one record per run. */
export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

/** Takes the owner lock of run `id` and writes its record; before the run creates anything. */
export async function claimRun(o: { stateDir: string; id: string; runDir: string }): Promise<RunOwner> {
  const dir = runsDir(o.stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const held = await tryLock(lockPath(o.stateDir, o.id));
  // Ids are 256 random bits: a held lock for a fresh one is a programmer mistake.
  if (held === undefined) throw new Error(`run ${o.id} is already owned`);
  const path = recordPath(o.stateDir, o.id);
  try {
    const record: RunRecord = { runDir: o.runDir, pid: process.pid, bootId: currentBootId() };
    writeFileSync(path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  } catch (err) {
    removeFile(path); // a full disk leaves it created but empty
    await held.release();
    throw isDiskFull(err) ? diskFullError(`the run record ${path}`, err) : err;
  }
  return ownerOf(o.stateDir, o.id, held);
}

/**
 * Takes run `id`'s owner lock if its owner is gone (or it never had one); undefined while it
 * lives. An owner from an earlier boot is gone even if its pid now names a live process.
 */
export async function takeOverRun(
  stateDir: string,
  id: string,
  bootId: string = currentBootId(),
): Promise<RunOwner | undefined> {
  // A `run-<id>` snapshot from a Berth without owner locks may come before any lock did.
  mkdirSync(runsDir(stateDir), { recursive: true, mode: 0o700 });
  const path = lockPath(stateDir, id);
  let held = await tryLock(path);
  const record = held ? undefined : readRunRecord(stateDir, id);
  if (record?.pid !== undefined && record.bootId !== undefined && record.bootId !== bootId) {
    held = await breakLock(path, record.pid);
  }
  return held && ownerOf(stateDir, id, held);
}

/** The record of run `id`; undefined when there is none (killed before writing it) or it is unreadable. */
export function readRunRecord(stateDir: string, id: string): RunRecord | undefined {
  let record: Partial<RunRecord>;
  try {
    record = JSON.parse(readFileSync(recordPath(stateDir, id), 'utf8')) as Partial<RunRecord>;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || err instanceof SyntaxError) return undefined;
    throw err;
  }
  if (typeof record.runDir !== 'string') return undefined;
  return {
    runDir: record.runDir,
    ...(typeof record.pid === 'number' ? { pid: record.pid } : {}),
    ...(typeof record.bootId === 'string' ? { bootId: record.bootId } : {}),
  };
}

/**
 * Removes a lock file still holding `stalePid` and takes the lock. It is moved aside first: if
 * what moved holds another pid (a live recoverer took the lock meanwhile), it is linked back.
 */
async function breakLock(path: string, stalePid: number): Promise<FileLock | undefined> {
  const aside = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return tryLock(path);
    throw err;
  }
  try {
    if (lockHolderPid(aside) === stalePid) return await tryLock(path);
    try {
      linkSync(aside, path);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    return undefined;
  } finally {
    removeFile(aside);
  }
}

let bootId: string | undefined;

function currentBootId(): string {
  bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return bootId;
}

function ownerOf(stateDir: string, id: string, held: FileLock): RunOwner {
  return {
    release: async () => {
      removeFile(recordPath(stateDir, id));
      await held.release();
    },
    abandon: () => held.release(),
  };
}

function lockPath(stateDir: string, id: string): string {
  return join(runsDir(stateDir), `${id}.lock`);
}

function recordPath(stateDir: string, id: string): string {
  return join(runsDir(stateDir), `${id}.json`);
}
