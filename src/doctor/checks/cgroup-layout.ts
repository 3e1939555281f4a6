import type { MountInfo } from '../mountinfo.ts';

export type CgroupMode = 'v1' | 'hybrid' | 'v2' | 'none';

export interface CgroupV1Hierarchy {
  mountPoint: string;
  controllers: string[];
}

export interface CgroupLayout {
  mode: CgroupMode;
  /** v1 hierarchies that carry controllers (named ones such as name=systemd are left out). */
  v1: CgroupV1Hierarchy[];
  /** Where cgroup2 is mounted, if it is. */
  v2MountPoint: string | undefined;
}

/** Controllers the v1 kernel code knows; anything else in a cgroup mount's options is an option. */
const V1_CONTROLLERS = new Set([
  'cpu',
  'cpuacct',
  'cpuset',
  'memory',
  'devices',
  'freezer',
  'net_cls',
  'net_prio',
  'blkio',
  'perf_event',
  'hugetlb',
  'pids',
  'rdma',
  'misc',
]);

/**
 * v2: only cgroup2 (unified). hybrid: v1 controller hierarchies plus a cgroup2 mount (systemd's
 * /sys/fs/cgroup/unified). v1: controller hierarchies only.
 */
export function cgroupLayout(mounts: MountInfo[]): CgroupLayout {
  const v1: CgroupV1Hierarchy[] = [];
  let v2MountPoint: string | undefined;
  for (const mount of mounts) {
    if (mount.fsType === 'cgroup2') {
      // Prefer the canonical location if cgroup2 is mounted more than once.
      if (v2MountPoint === undefined || mount.mountPoint === '/sys/fs/cgroup')
        v2MountPoint = mount.mountPoint;
    } else if (mount.fsType === 'cgroup') {
      const controllers = mount.superOptions.filter((o) => V1_CONTROLLERS.has(o));
      const seen = v1.some((h) => h.controllers.join() === controllers.join());
      if (controllers.length > 0 && !seen) v1.push({ mountPoint: mount.mountPoint, controllers });
    }
  }
  const mode: CgroupMode =
    v1.length > 0
      ? v2MountPoint === undefined
        ? 'v1'
        : 'hybrid'
      : v2MountPoint === undefined
        ? 'none'
        : 'v2';
  return { mode, v1, v2MountPoint };
}
