// The overlay snapshotter's records: one JSON file replaced atomically (temp + rename). Changes
// take turns in-process (a queue) and across processes (a lock file): `berth run`, `berth build`
// and berthd all change the same records, and a read-modify-write that overlapped another would
// drop its records, leaving directories no record names and snapshots a running container uses
// unaccounted for. Directories are named by number, not by key, to keep overlay's lowerdir short.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diskFullError, isDiskFull, isErrno, lock } from '../../core/index.ts';
import type { SnapshotKind } from './types.ts';

export interface SnapshotRecord {
  id: number;
  kind: SnapshotKind;
  parent?: string;
  created: string;
}

export interface MetadataState {
  nextId: number;
  snapshots: Record<string, SnapshotRecord>;
}

export interface Change<T> {
  state?: MetadataState;
  result: T;
  /** Undoes what the change did on disk, if its state cannot be saved. */
  undo?: () => Promise<void>;
}

export class SnapshotMetadata {
  readonly #file: string;
  readonly #lock: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.#file = join(root, 'metadata.json');
    this.#lock = join(root, 'metadata.lock');
  }

  /** Reads the current state. */
  async read(): Promise<MetadataState> {
    try {
      return JSON.parse(await readFile(this.#file, 'utf8')) as MetadataState;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return { nextId: 1, snapshots: {} };
      throw err;
    }
  }

  /**
   * Runs `change` on the state, one at a time, and saves what it returns (unless undefined). If
   * the save fails (a full disk), `undo` runs, still under the lock: what the change made on
   * disk goes before another process can reuse the ids it took.
   */
  update<T>(change: (state: MetadataState) => Promise<Change<T>>): Promise<T> {
    const run = this.#queue.then(async () => {
      await mkdir(join(this.#file, '..'), { recursive: true, mode: 0o700 });
      const held = await lock(this.#lock);
      try {
        const { state, result, undo } = await change(await this.read());
        if (state !== undefined)
          await this.#write(state).catch(async (err) => {
            await undo?.().catch(() => {});
            throw err;
          });
        return result;
      } finally {
        await held.release();
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async #write(state: MetadataState): Promise<void> {
    const temp = `${this.#file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600, flush: true });
      await rename(temp, this.#file);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw isDiskFull(err) ? diskFullError(`the snapshot records ${this.#file}`, err) : err;
    }
  }
}
