import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, isErrno } from '../../core/index.ts';
import type { Spec } from '../spec/index.ts';

/** What the runtime remembers about one container between invocations (`<root>/<id>/state.json`). */
export interface ContainerRecord {
  id: string;
  /** Host pid of the container's init; 0 until it exists. */
  pid: number;
  /** Start time of `pid` in clock ticks since boot (/proc/PID/stat field 22), against pid reuse. */
  pidStartTime: number;
  bundle: string;
  rootfs: string;
  /** ISO time the container was created. */
  created: string;
  /** The container's cgroup path relative to each hierarchy root, as resolved at create. */
  cgroupsPath: string;
  /** Absolute cgroup directory per controller (`memory`, `cpu`, …, `unified`), like runc's cgroup_paths. */
  cgroupPaths?: Record<string, string>;
  systemdCgroup: boolean;
  paused: boolean;
  /** The bundle's config.json as validated at create time. */
  spec: Spec;
}

const ID_PATTERN = /^[\w+\-.]+$/;

/** Checks a container id the way runc does (letters, digits, `_+-.`). */
export function checkContainerId(id: string | undefined): string {
  if (id && ID_PATTERN.test(id) && id !== '.' && id !== '..') return id;
  throw new BerthError({
    code: 'ERR_RUNTIME_INVALID_ID',
    category: 'InvalidArgument',
    message: id ? `invalid container id '${id}'` : 'container id is required',
    hint: 'an id may contain letters, digits, and _ + - .',
  });
}

/** The state directory of all containers under one `--root`. */
export class StateStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  dir(id: string): string {
    return join(this.root, checkContainerId(id));
  }

  fifoPath(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }

  /** Creates the container's directory; an existing one means the id is taken. */
  claim(id: string): string {
    const dir = this.dir(id);
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      throw new BerthError({
        code: 'ERR_RUNTIME_CONTAINER_EXISTS',
        category: 'AlreadyExists',
        message: `container '${id}' already exists`,
        hint: `delete it first ('berth-runtime delete ${id}') or choose another id`,
      });
    }
    return dir;
  }

  save(record: ContainerRecord): void {
    writeFileAtomic(join(this.dir(record.id), 'state.json'), JSON.stringify(record));
  }

  load(id: string): ContainerRecord {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as ContainerRecord;
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !(err instanceof SyntaxError)) throw err;
      throw new BerthError({
        code: 'ERR_RUNTIME_CONTAINER_NOT_FOUND',
        category: 'NotFound',
        message: `container '${id}' does not exist`,
        hint: "run 'berth-runtime list' to see the containers under this --root",
        cause: err,
      });
    }
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}

/** Writes a file so readers see either the old or the new content, never a partial one. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, path);
}
