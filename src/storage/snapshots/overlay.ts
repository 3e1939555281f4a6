// An overlayfs snapshotter in containerd's layout: <root>/snapshots/<n>/{fs,work}. Each
// committed snapshot is one overlay layer; an active one mounts as upper over its parents.
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, isDiskFull, isErrno } from '../../core/index.ts';
import { type MetadataState, SnapshotMetadata, type SnapshotRecord } from './metadata.ts';
import type { Mount, SnapshotInfo, SnapshotKind, Snapshotter, SnapshotUsage } from './types.ts';

/** The kernel copies mount options into one page; longer lowerdir lists fail with EINVAL. */
const MAX_MOUNT_DATA = 4095;

export class OverlaySnapshotter implements Snapshotter {
  readonly root: string;
  readonly #meta: SnapshotMetadata;

  /** `root` is the snapshotter's own directory, e.g. /var/lib/berth/snapshots/overlay. */
  constructor(root: string) {
    this.root = root;
    this.#meta = new SnapshotMetadata(root);
  }

  prepare(key: string, parent?: string): Promise<Mount[]> {
    return this.#create(key, parent, 'active');
  }

  view(key: string, parent?: string): Promise<Mount[]> {
    return this.#create(key, parent, 'view');
  }

  async mounts(key: string): Promise<Mount[]> {
    const state = await this.#meta.read();
    return this.#mountsOf(state, key, find(state, key));
  }

  commit(name: string, key: string): Promise<void> {
    return this.#meta.update(async (state) => {
      const record = find(state, key);
      if (record.kind !== 'active')
        throw conflict(`snapshot ${key} is ${record.kind}, only active ones commit`);
      if (state.snapshots[name] !== undefined) throw exists(name);
      delete state.snapshots[key];
      state.snapshots[name] = { ...record, kind: 'committed' };
      return { state, result: undefined };
    });
  }

  async remove(key: string): Promise<void> {
    const id = await this.#dropRecord(key).catch(async (err) => {
      // A full disk refuses the new records. An active snapshot's files are its own (no
      // child, no other user): empty them to make room, then drop the record.
      if (!isDiskFull(err)) throw err;
      const record = find(await this.#meta.read(), key);
      if (record.kind !== 'active') throw err;
      await rm(join(this.#dir(record.id), 'fs'), { recursive: true, force: true });
      await rm(join(this.#dir(record.id), 'work'), { recursive: true, force: true });
      return this.#dropRecord(key);
    });
    // Records go first: a crash here leaves an orphan directory that cleanup() removes.
    await rm(this.#dir(id), { recursive: true, force: true });
  }

  #dropRecord(key: string): Promise<number> {
    return this.#meta.update(async (state) => {
      const record = find(state, key);
      const child = Object.entries(state.snapshots).find(([, r]) => r.parent === key);
      if (child !== undefined) throw conflict(`snapshot ${key} is the parent of ${child[0]}`);
      delete state.snapshots[key];
      return { state, result: record.id };
    });
  }

  async stat(key: string): Promise<SnapshotInfo> {
    return info(key, find(await this.#meta.read(), key));
  }

  async list(): Promise<SnapshotInfo[]> {
    const state = await this.#meta.read();
    return Object.entries(state.snapshots).map(([key, record]) => info(key, record));
  }

  async usage(key: string): Promise<SnapshotUsage> {
    const record = find(await this.#meta.read(), key);
    const seen = new Set<bigint>();
    const usage = { size: 0, inodes: 0 };
    await walk(join(this.#dir(record.id), 'fs'), seen, usage);
    return usage;
  }

  /** Removes snapshot directories no record points to (left by a crash during remove or prepare). */
  cleanup(): Promise<number> {
    // Under the records' lock: a prepare in another process makes its directory before its record.
    return this.#meta.update(async (state) => {
      const ids = new Set(Object.values(state.snapshots).map((r) => String(r.id)));
      let removed = 0;
      for (const name of await readdir(join(this.root, 'snapshots')).catch(() => [])) {
        if (ids.has(name)) continue;
        await rm(join(this.root, 'snapshots', name), { recursive: true, force: true });
        removed++;
      }
      return { result: removed };
    });
  }

  #dir(id: number): string {
    return join(this.root, 'snapshots', String(id));
  }

  #create(key: string, parent: string | undefined, kind: SnapshotKind): Promise<Mount[]> {
    if (key === '') throw new Error('snapshot key must not be empty');
    return this.#meta.update(async (state) => {
      if (state.snapshots[key] !== undefined) throw exists(key);
      if (parent !== undefined && find(state, parent).kind !== 'committed') {
        throw conflict(`parent ${parent} is not committed`);
      }
      const record: SnapshotRecord = { id: state.nextId++, kind, created: new Date().toISOString() };
      if (parent !== undefined) record.parent = parent;
      state.snapshots[key] = record;
      const mounts = this.#mountsOf(state, key, record); // before any directory exists: it may refuse
      await this.#makeDirs(record.id);
      const undo = () => rm(this.#dir(record.id), { recursive: true, force: true });
      return { state, result: mounts, undo };
    });
  }

  async #makeDirs(id: number): Promise<void> {
    await mkdir(join(this.root, 'snapshots'), { recursive: true, mode: 0o700 });
    await mkdir(this.#dir(id), { mode: 0o700 });
    try {
      await mkdir(join(this.#dir(id), 'fs'), { mode: 0o755 });
      await mkdir(join(this.#dir(id), 'work'), { mode: 0o700 });
    } catch (err) {
      await rm(this.#dir(id), { recursive: true, force: true });
      throw err;
    }
  }

  #mountsOf(state: MetadataState, key: string, record: SnapshotRecord): Mount[] {
    if (record.kind === 'committed')
      throw conflict(`snapshot ${key} is committed; create a view of it to mount`);
    const lowers: string[] = [];
    for (let p = record.parent; p !== undefined; p = find(state, p).parent) {
      lowers.push(join(this.#dir(find(state, p).id), 'fs'));
    }
    const own = join(this.#dir(record.id), 'fs');
    const ro = record.kind === 'view';
    if (lowers.length === 0) return [bind(own, ro)];
    if (ro && lowers.length === 1) return [bind(lowers[0]!, true)];
    const options = ro
      ? [`lowerdir=${lowers.join(':')}`]
      : [`workdir=${join(this.#dir(record.id), 'work')}`, `upperdir=${own}`, `lowerdir=${lowers.join(':')}`];
    if (options.join(',').length > MAX_MOUNT_DATA) {
      throw new BerthError({
        code: 'ERR_STORAGE_SNAPSHOT_TOO_DEEP',
        category: 'FailedPrecondition',
        message: `snapshot ${key} has ${lowers.length} layers: the overlay options exceed one page`,
        hint: 'flatten the image (fewer layers) or use a shorter snapshotter root',
      });
    }
    return [{ type: 'overlay', source: 'overlay', options }];
  }
}

function bind(source: string, ro: boolean): Mount {
  return { type: 'bind', source, options: [ro ? 'ro' : 'rw', 'rbind'] };
}

function info(key: string, record: SnapshotRecord): SnapshotInfo {
  return { key, kind: record.kind, parent: record.parent, created: record.created };
}

function find(state: MetadataState, key: string): SnapshotRecord {
  const record = state.snapshots[key];
  if (record !== undefined) return record;
  throw new BerthError({
    code: 'ERR_STORAGE_SNAPSHOT_NOT_FOUND',
    category: 'NotFound',
    message: `snapshot ${key} not found`,
    hint: 'list snapshots to see which exist',
  });
}

function exists(key: string): BerthError {
  return new BerthError({
    code: 'ERR_STORAGE_SNAPSHOT_EXISTS',
    category: 'AlreadyExists',
    message: `snapshot ${key} already exists`,
  });
}

function conflict(message: string): BerthError {
  return new BerthError({ code: 'ERR_STORAGE_SNAPSHOT_STATE', category: 'FailedPrecondition', message });
}

async function walk(dir: string, seen: Set<bigint>, usage: SnapshotUsage): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const name of names) {
    const path = join(dir, name);
    const st = await lstat(path, { bigint: true });
    if (seen.has(st.ino)) continue;
    seen.add(st.ino);
    usage.inodes++;
    usage.size += Number(st.blocks) * 512;
    if (st.isDirectory()) await walk(path, seen, usage);
  }
}
