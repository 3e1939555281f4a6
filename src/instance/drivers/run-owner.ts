// Who owns a `berth run`: before it creates anything, a run takes the pid lock file
// `<stateDir>/runs/<id>.lock` and writes `<id>.json`, naming the run directory that holds its
// bundle and runtime state. Both go only after its undo has run. A run killed with SIGKILL
// leaves them, naming a dead holder in the lock (a pid with its boot and start time, so a pid
// reused after a reboot does not pass for the owner): the next `berth run` finds it and cleans up
// (recover.ts). They live in the state directory, next to the snapshots they explain: the run
// directory (/run) is a tmpfs gone after a reboot, and several run directories may share one
// state directory.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  diskFullError,
  type FileLock,
  isDiskFull,
  isErrno,
  isLockHeld,
  removeFile,
  tryLock,
} from '../../core/index.ts';

/** What a run records about itself next to its lock. */
export interface RunRecord {
  /** Holds `bundles/<id>` and `containers/<id>`. */
  runDir: string;
  /** The owner's pid, as in the lock file (for people reading the record). */
  pid?: number;
  /** The ID of the image it runs: `berth rmi` refuses to delete it meanwhile. */
  image?: string;
}

/** A run's held owner lock. */
export interface RunOwner {
  /** Removes the record, then the lock: the run left nothing behind. */
  release(): Promise<void>;
  /** Removes only the lock, keeping the record for the next recovery to retry. */
  abandon(): Promise<void>;
}

/** A run whose owner is alive, and the image it runs (unknown for a record without one). */
export interface LiveRun {
  id: string;
  image: string | undefined;
}

/** `<stateDir>/runs`: one lock and one record per run. */
export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

/** Takes the owner lock of run `id` and writes its record; before the run creates anything. */
export async function claimRun(o: {
  stateDir: string;
  id: string;
  runDir: string;
  image?: string;
}): Promise<RunOwner> {
  const dir = runsDir(o.stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const held = await tryLock(lockPath(o.stateDir, o.id));
  // Ids are 256 random bits: a held lock for a fresh one is a programmer mistake.
  if (held === undefined) throw new Error(`run ${o.id} is already owned`);
  try {
    const record: RunRecord = { runDir: o.runDir, pid: process.pid };
    if (o.image !== undefined) record.image = o.image;
    writeRecord(o.stateDir, o.id, record);
  } catch (err) {
    await held.release();
    throw err;
  }
  return ownerOf(o.stateDir, o.id, held);
}

/** The runs of `stateDir` whose owner is alive, with the image each runs. */
export function liveRuns(stateDir: string): LiveRun[] {
  const ids = runFileNames(stateDir).flatMap((n) => /^([0-9a-f]{64})\.json$/.exec(n)?.[1] ?? []);
  return ids
    .filter((id) => isLockHeld(lockPath(stateDir, id)))
    .map((id) => ({ id, image: readRunRecord(stateDir, id)?.image }));
}

/** The names of the locks and records in `<stateDir>/runs` (none before the first run). */
export function runFileNames(stateDir: string): string[] {
  try {
    return readdirSync(runsDir(stateDir));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

/** Writes a run's record: a temp file renamed into place, so a reader never sees half of it. */
function writeRecord(stateDir: string, id: string, record: RunRecord): void {
  const path = recordPath(stateDir, id);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    renameSync(temp, path);
  } catch (err) {
    removeFile(temp); // a full disk leaves it created but empty
    throw isDiskFull(err) ? diskFullError(`the run record ${path}`, err) : err;
  }
}

/**
 * Takes run `id`'s owner lock if its owner is gone (or it never had one); undefined while it
 * lives. An owner from an earlier boot is gone even if its pid now names a live process: the
 * lock file names the holder's boot and start time too.
 */
export async function takeOverRun(stateDir: string, id: string): Promise<RunOwner | undefined> {
  // A `run-<id>` snapshot from a Berth without owner locks may come before any lock did.
  mkdirSync(runsDir(stateDir), { recursive: true, mode: 0o700 });
  const held = await tryLock(lockPath(stateDir, id));
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
    ...(typeof record.image === 'string' ? { image: record.image } : {}),
  };
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
