import type { LinuxResources } from '../spec/index.ts';

/** How the host mounts cgroups: all v1, v1 plus a unified (v2) mount, or pure v2. */
export type CgroupMode = 'v1' | 'hybrid' | 'v2';

/** The cgroup of one container, whichever cgroup version the host runs. */
export interface CgroupManager {
  readonly mode: CgroupMode;
  /** The resolved cgroup path relative to each hierarchy's root, e.g. `/berth/<id>`. */
  readonly path: string;
  /** Absolute directory per hierarchy (`memory`, `cpu`, …, `unified`), like runc's cgroup_paths. */
  readonly paths: Readonly<Record<string, string>>;
  create(): Promise<void>;
  addProcess(pid: number): Promise<void>;
  applyResources(resources: LinuxResources): Promise<void>;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  pids(): Promise<number[]>;
  stats(): Promise<CgroupStats>;
  killAll(signal: number): Promise<void>;
  destroy(): Promise<void>;
}

/** The shape of `runc events --stats` "data" (field names as runc's JSON). */
export interface CgroupStats {
  cpu: {
    usage: { total: number; percpu?: number[]; kernel: number; user: number };
    throttling: { periods: number; throttledPeriods: number; throttledTime: number };
  };
  memory: {
    usage: MemoryEntry;
    swap?: MemoryEntry;
    kernel?: MemoryEntry;
    raw: Record<string, number>;
  };
  pids: { current: number; limit: number };
  blkio: {
    ioServiceBytesRecursive: BlkioEntry[];
    ioServicedRecursive: BlkioEntry[];
  };
  hugetlb: Record<string, { usage: number; max: number; failcnt: number }>;
}

export interface MemoryEntry {
  usage: number;
  max: number;
  limit: number;
  failcnt: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}
