import { posix } from 'node:path';
import { BerthError, type Logger } from '../../core/index.ts';
import type { DeviceCgroupRule, LinuxResources } from '../spec/index.ts';
import type { DeviceFilterLoader } from './bpf.ts';
import { compileDeviceFilter, encodeProgram } from './device-filter.ts';
import { effectiveDeviceRules } from './devices.ts';
import type { CgroupFs } from './fs.ts';
import type { StatSource } from './stats.ts';
import { readV2Stats } from './stats.ts';
import { type ResourceTarget, unsupported } from './target.ts';
import { listProcs, makeCgroupDirs, pollUntil, removeCgroupTree } from './tree.ts';
import type { CgroupManager, CgroupMode, CgroupStats } from './types.ts';
import { applyV2Resources } from './v2-resources.ts';

export interface V2ManagerOptions {
  fs: CgroupFs;
  log: Logger;
  /** Where the cgroup2 hierarchy is mounted. */
  mountPoint: string;
  /** The container's cgroup directory inside it. */
  dir: string;
  /** The cgroup path reported to callers. */
  path: string;
  hugePageSizes: string[];
  signal: (pid: number, signal: number) => void;
  /** Installs the eBPF device program; without one, device rules only get a warning. */
  deviceFilter?: DeviceFilterLoader;
}

const SIGKILL = 9;

/** A container's cgroup on the unified (v2) hierarchy: one directory, controllers enabled from the top. */
export class V2Manager implements CgroupManager {
  readonly mode: CgroupMode = 'v2';
  readonly path: string;
  readonly paths: Readonly<Record<string, string>>;
  readonly dir: string;
  readonly #options: V2ManagerOptions;

  constructor(options: V2ManagerOptions) {
    this.#options = options;
    this.dir = options.dir;
    this.path = options.path;
    this.paths = { unified: options.dir };
  }

  async create(): Promise<void> {
    const { fs, mountPoint } = this.#options;
    const controllers = (await fs.read(posix.join(mountPoint, 'cgroup.controllers'))).trim().split(/\s+/);
    const enable = controllers.filter(Boolean).map((c) => `+${c}`);
    await makeCgroupDirs(fs, mountPoint, this.dir, async (level, isLeaf) => {
      if (isLeaf || enable.length === 0) return;
      await enableControllers(fs, posix.join(level, 'cgroup.subtree_control'), enable);
    });
  }

  async addProcess(pid: number): Promise<void> {
    await this.#options.fs.write(posix.join(this.dir, 'cgroup.procs'), String(pid));
  }

  async applyResources(resources: LinuxResources): Promise<void> {
    if (resources.devices !== undefined) this.#applyDevices(resources.devices);
    await this.applyWithoutDevices(resources);
  }

  // v2 has no devices.allow: the rules become an eBPF program attached to the cgroup.
  #applyDevices(rules: DeviceCgroupRule[]): void {
    const { deviceFilter, log } = this.#options;
    if (deviceFilter === undefined) {
      log.warn('device cgroup rules are not enforced: no eBPF device filter loader', { cgroup: this.dir });
      return;
    }
    deviceFilter.replace(this.dir, encodeProgram(compileDeviceFilter(effectiveDeviceRules(rules))));
  }

  /** Applies everything but device rules (hybrid hosts enforce those on v1). */
  async applyWithoutDevices(resources: LinuxResources): Promise<void> {
    await applyV2Resources(await this.#target(), resources);
  }

  async freeze(): Promise<void> {
    await this.#setFrozen(true);
  }

  async thaw(): Promise<void> {
    await this.#setFrozen(false);
  }

  async pids(): Promise<number[]> {
    return listProcs(this.#options.fs, this.dir);
  }

  async stats(): Promise<CgroupStats> {
    return readV2Stats(this.statSource(), this.#options.hugePageSizes);
  }

  /** Reads this cgroup's files for statistics; absent files read as undefined. */
  statSource(): StatSource {
    const { fs } = this.#options;
    return async (_controller, file) => {
      const path = posix.join(this.dir, file);
      return (await fs.exists(path)) ? fs.read(path) : undefined;
    };
  }

  async killAll(signal: number): Promise<void> {
    const { fs } = this.#options;
    const killFile = posix.join(this.dir, 'cgroup.kill');
    if (signal === SIGKILL && (await fs.exists(killFile))) {
      await fs.write(killFile, '1');
      return;
    }
    // Frozen, no process can fork a child we would miss; signals are delivered on thaw.
    // A paused container stays paused, except for SIGKILL (which v2 delivers to frozen tasks).
    const freezeFile = posix.join(this.dir, 'cgroup.freeze');
    const canFreeze = await fs.exists(freezeFile);
    const paused = canFreeze && (await fs.read(freezeFile)).trim() === '1';
    if (canFreeze) await this.freeze();
    try {
      for (const pid of await this.pids()) signalIgnoringGone(this.#options.signal, pid, signal);
    } finally {
      if (canFreeze && !paused) await this.thaw();
    }
  }

  async destroy(): Promise<void> {
    await removeCgroupTree(this.#options.fs, this.dir);
  }

  async #setFrozen(frozen: boolean): Promise<void> {
    const { fs } = this.#options;
    const file = posix.join(this.dir, 'cgroup.freeze');
    if (!(await fs.exists(file))) {
      throw unsupported(
        `${frozen ? 'freeze' : 'thaw'} ${this.dir}`,
        'cgroup.freeze needs Linux 5.2 or later',
      );
    }
    await fs.write(file, frozen ? '1' : '0');
    const want = `frozen ${frozen ? 1 : 0}`;
    const events = posix.join(this.dir, 'cgroup.events');
    const done = await pollUntil(async () => (await fs.read(events)).split('\n').includes(want));
    if (done) return;
    if (frozen) await fs.write(file, '0');
    throw freezeError(this.dir, frozen);
  }

  async #target(): Promise<ResourceTarget> {
    const { fs, log } = this.#options;
    const enabled = new Set((await fs.read(posix.join(this.dir, 'cgroup.controllers'))).trim().split(/\s+/));
    const check = (controller: string, file: string): void => {
      if (controller === 'cgroup' || enabled.has(controller)) return;
      throw unsupported(
        `${file}: the ${controller} controller is not enabled in ${this.dir}`,
        `enable ${controller} in the parent's cgroup.subtree_control, or remove the setting`,
      );
    };
    return {
      log,
      write: async (controller, file, value) => {
        check(controller, file);
        await fs.write(posix.join(this.dir, file), String(value));
      },
      has: (_controller, file) => fs.exists(posix.join(this.dir, file)),
      read: (_controller, file) => fs.read(posix.join(this.dir, file)),
    };
  }
}

// Enable all at once; if the kernel refuses one (e.g. a domain controller under a threaded
// parent), enable what it will take one by one, as runc does. Missing ones fail later, by name.
async function enableControllers(fs: CgroupFs, file: string, enable: string[]): Promise<void> {
  try {
    await fs.write(file, enable.join(' '));
  } catch {
    for (const controller of enable) await fs.write(file, controller).catch(() => undefined);
  }
}

/** Sends a signal, ignoring a process that exited meanwhile. */
export function signalIgnoringGone(
  send: (pid: number, s: number) => void,
  pid: number,
  signal: number,
): void {
  try {
    send(pid, signal);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ESRCH') throw err;
  }
}

export function freezeError(dir: string, frozen: boolean): BerthError {
  return new BerthError({
    code: 'ERR_RUNTIME_CGROUP_FREEZE',
    category: 'Unavailable',
    message: `${frozen ? 'freeze' : 'thaw'} cgroup ${dir}: the kernel did not report it ${frozen ? 'frozen' : 'thawed'} in time`,
    hint: 'a task may be stuck in an uninterruptible sleep (D state); retry',
  });
}
