import { posix } from 'node:path';
import type { Logger } from '../../core/index.ts';
import type { LinuxResources } from '../spec/index.ts';
import type { CgroupFs } from './fs.ts';
import { readV1Stats, type StatSource } from './stats.ts';
import { type ResourceTarget, unsupported } from './target.ts';
import { listProcs, makeCgroupDirs, pollUntil, removeCgroupTree, removeDirs } from './tree.ts';
import type { CgroupManager, CgroupMode, CgroupStats } from './types.ts';
import { applyV1Resources } from './v1-resources.ts';
import { freezeError, signalIgnoringGone } from './v2.ts';

const SIGKILL = 9;

/** One mounted v1 hierarchy and the container's directory in it. */
export interface V1Hierarchy {
  mountPoint: string;
  /** `cpu`, `cpuacct` (co-mounted ones share a hierarchy), `name=systemd`. */
  controllers: string[];
  dir: string;
}

export interface V1ManagerOptions {
  fs: CgroupFs;
  log: Logger;
  hierarchies: V1Hierarchy[];
  path: string;
  hugePageSizes: string[];
  signal: (pid: number, signal: number) => void;
}

/** A container's cgroup on v1: one directory in every mounted hierarchy. */
export class V1Manager implements CgroupManager {
  readonly mode: CgroupMode = 'v1';
  readonly path: string;
  readonly paths: Readonly<Record<string, string>>;
  readonly #options: V1ManagerOptions;
  readonly #byController: Map<string, V1Hierarchy>;

  constructor(options: V1ManagerOptions) {
    this.#options = options;
    this.path = options.path;
    this.#byController = new Map(
      options.hierarchies.flatMap((h) => h.controllers.map((c) => [c, h] as const)),
    );
    this.paths = Object.fromEntries([...this.#byController].map(([c, h]) => [c, h.dir]));
  }

  async create(): Promise<void> {
    const { fs } = this.#options;
    const made: string[] = [];
    try {
      for (const h of this.#options.hierarchies) {
        const cpuset = h.controllers.includes('cpuset');
        made.push(
          ...(await makeCgroupDirs(
            fs,
            h.mountPoint,
            h.dir,
            cpuset ? (d) => this.#inheritCpuset(d) : undefined,
          )),
        );
      }
    } catch (err) {
      await removeDirs(fs, made);
      throw err;
    }
  }

  // A new cpuset cgroup starts with empty cpus/mems and refuses tasks (ENOSPC): copy the parent's.
  async #inheritCpuset(dir: string): Promise<void> {
    const { fs } = this.#options;
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const own = posix.join(dir, file);
      if ((await fs.read(own)).trim() !== '') continue;
      const parent = (await fs.read(posix.join(posix.dirname(dir), file))).trim();
      await fs.write(own, parent);
    }
  }

  async addProcess(pid: number): Promise<void> {
    for (const h of this.#options.hierarchies) {
      await this.#options.fs.write(posix.join(h.dir, 'cgroup.procs'), String(pid));
    }
  }

  async applyResources(resources: LinuxResources): Promise<void> {
    await applyV1Resources(this.#target(), resources);
  }

  async freeze(): Promise<void> {
    await this.#setState('FROZEN');
  }

  async thaw(): Promise<void> {
    await this.#setState('THAWED');
  }

  async pids(): Promise<number[]> {
    const h =
      this.#byController.get('freezer') ?? this.#byController.get('pids') ?? this.#options.hierarchies[0];
    return h === undefined ? [] : listProcs(this.#options.fs, h.dir);
  }

  async stats(): Promise<CgroupStats> {
    return readV1Stats(this.statSource(), this.#options.hugePageSizes);
  }

  /** Reads a controller's files for statistics; absent controllers and files read as undefined. */
  statSource(): StatSource {
    const { fs } = this.#options;
    return async (controller, file) => {
      const h = this.#byController.get(controller);
      if (h === undefined) return undefined;
      const path = posix.join(h.dir, file);
      return (await fs.exists(path)) ? fs.read(path) : undefined;
    };
  }

  async killAll(signal: number): Promise<void> {
    // Frozen, no process can fork a child we would miss. A paused container stays paused
    // (its tasks get the signal on resume), except for SIGKILL: v1 frozen tasks die only thawed.
    const freezer = this.#byController.get('freezer');
    const state = freezer && (await this.#options.fs.read(posix.join(freezer.dir, 'freezer.state'))).trim();
    if (freezer !== undefined) await this.freeze();
    try {
      for (const pid of await this.pids()) signalIgnoringGone(this.#options.signal, pid, signal);
    } finally {
      if (freezer !== undefined && (state !== 'FROZEN' || signal === SIGKILL)) await this.thaw();
    }
  }

  async destroy(): Promise<void> {
    const errors: unknown[] = [];
    for (const h of this.#options.hierarchies) {
      await removeCgroupTree(this.#options.fs, h.dir).catch((err: unknown) => errors.push(err));
    }
    if (errors.length > 0) throw errors[0];
  }

  async #setState(state: 'FROZEN' | 'THAWED'): Promise<void> {
    const h = this.#byController.get('freezer');
    if (h === undefined)
      throw unsupported(`freezer.state of ${this.path}`, 'the freezer hierarchy is not mounted');
    const { fs } = this.#options;
    const file = posix.join(h.dir, 'freezer.state');
    // FREEZING can stall on a task that is mid-exec; re-writing FROZEN nudges it along.
    const done = await pollUntil(async () => {
      await fs.write(file, state);
      return (await fs.read(file)).trim() === state;
    });
    if (done) return;
    if (state === 'FROZEN') await fs.write(file, 'THAWED');
    throw freezeError(h.dir, state === 'FROZEN');
  }

  #target(): ResourceTarget {
    const { fs, log } = this.#options;
    const dirOf = (controller: string, file: string): string => {
      const h = this.#byController.get(controller);
      if (h !== undefined) return posix.join(h.dir, file);
      throw unsupported(`${file}: the ${controller} cgroup hierarchy is not mounted`, 'remove the setting');
    };
    return {
      log,
      write: (controller, file, value) => fs.write(dirOf(controller, file), String(value)),
      has: async (controller, file) =>
        this.#byController.has(controller) && fs.exists(dirOf(controller, file)),
      read: (controller, file) => fs.read(dirOf(controller, file)),
    };
  }
}
