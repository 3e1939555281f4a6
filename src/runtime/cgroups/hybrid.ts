import type { LinuxResources } from '../spec/index.ts';
import type { CgroupManager, CgroupMode, CgroupStats } from './types.ts';
import type { V1Manager } from './v1.ts';
import type { V2Manager } from './v2.ts';

/**
 * v1 hierarchies plus the unified mount (this project's hosts). The v1 controllers are
 * authoritative; the container also gets the same path on the unified hierarchy, so that
 * controllers only offered there (hugetlb here) and `unified` keys apply, and v2-only tools see it.
 */
export class HybridManager implements CgroupManager {
  readonly mode: CgroupMode = 'hybrid';
  readonly path: string;
  readonly paths: Readonly<Record<string, string>>;
  readonly #v1: V1Manager;
  readonly #unified: V2Manager;
  readonly #hugetlbOnV1: boolean;

  constructor(v1: V1Manager, unified: V2Manager) {
    this.#v1 = v1;
    this.#unified = unified;
    this.path = v1.path;
    this.paths = { ...v1.paths, unified: unified.dir };
    this.#hugetlbOnV1 = 'hugetlb' in v1.paths;
  }

  async create(): Promise<void> {
    await this.#v1.create();
    try {
      await this.#unified.create();
    } catch (err) {
      await this.#v1.destroy().catch(() => undefined);
      throw err;
    }
  }

  async addProcess(pid: number): Promise<void> {
    await this.#v1.addProcess(pid);
    await this.#unified.addProcess(pid);
  }

  async applyResources(resources: LinuxResources): Promise<void> {
    const { unified, hugepageLimits, ...rest } = resources;
    await this.#v1.applyResources(this.#hugetlbOnV1 ? { ...rest, hugepageLimits } : rest);
    await this.#unified.applyWithoutDevices({
      unified,
      hugepageLimits: this.#hugetlbOnV1 ? [] : hugepageLimits,
    });
  }

  freeze(): Promise<void> {
    return this.#v1.freeze();
  }

  thaw(): Promise<void> {
    return this.#v1.thaw();
  }

  pids(): Promise<number[]> {
    return this.#v1.pids();
  }

  async stats(): Promise<CgroupStats> {
    const stats = await this.#v1.stats();
    if (!this.#hugetlbOnV1) stats.hugetlb = (await this.#unified.stats()).hugetlb;
    return stats;
  }

  killAll(signal: number): Promise<void> {
    return this.#v1.killAll(signal);
  }

  async destroy(): Promise<void> {
    const results = await Promise.allSettled([this.#v1.destroy(), this.#unified.destroy()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
