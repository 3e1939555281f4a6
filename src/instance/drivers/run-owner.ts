// Who owns a `berth run`: before it creates anything, a run takes the pid lock file
// `<stateDir>/runs/<id>.lock` and writes `<id>.json`, naming the run directory that holds its
// bundle and runtime state. Both go only after its undo has run. A run killed with SIGKILL
// leaves them, with a dead pid in the lock: the next `berth run` finds it and cleans up
// (recover.ts). They live in the state directory, next to the snapshots they explain: the run
// directory (/run) is a tmpfs gone after a reboot, and several run directories may share one
// state directory.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FileLock, isErrno, removeFile, tryLock } from '../../core/index.ts';

/** What a run records about itself next to its lock. */
export interface RunRecord {
  /** Holds `bundles/<id>` and `containers/<id>`. */
  runDir: string;
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
  const held = await tryLock(join(dir, `${o.id}.lock`));
  // Ids are 256 random bits: a held lock for a fresh one is a programmer mistake.
  if (held === undefined) throw new Error(`run ${o.id} is already owned`);
  try {
    const record: RunRecord = { runDir: o.runDir };
    writeFileSync(recordPath(o.stateDir, o.id), `${JSON.stringify(record)}\n`, { mode: 0o600 });
  } catch (err) {
    await held.release();
    throw err;
  }
  return ownerOf(o.stateDir, o.id, held);
}

/** Takes run `id`'s owner lock if its owner is gone (or it never had one); undefined while it lives. */
export async function takeOverRun(stateDir: string, id: string): Promise<RunOwner | undefined> {
  // A `run-<id>` snapshot from a Berth without owner locks may come before any lock did.
  mkdirSync(runsDir(stateDir), { recursive: true, mode: 0o700 });
  const held = await tryLock(join(runsDir(stateDir), `${id}.lock`));
  return held && ownerOf(stateDir, id, held);
}

/** The record of run `id`; undefined when there is none (killed before writing it) or it is unreadable. */
export function readRunRecord(stateDir: string, id: string): RunRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(recordPath(stateDir, id), 'utf8')) as Partial<RunRecord>;
    return typeof record.runDir === 'string' ? { runDir: record.runDir } : undefined;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || err instanceof SyntaxError) return undefined;
    throw err;
  }
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

function recordPath(stateDir: string, id: string): string {
  return join(runsDir(stateDir), `${id}.json`);
}
