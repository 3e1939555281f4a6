import type { MountInfo } from '../../core/index.ts';
import { cgroupHierarchies, cgroupLayoutOf, isV1Controller } from '../../runtime/cgroups/index.ts';

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

const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The layout the runtime sees (its own hierarchy reader), with `none` where it would refuse:
 * v2: cgroup2 at the root; hybrid: v1 controller hierarchies plus a cgroup2 mount (systemd's
 * /sys/fs/cgroup/unified); v1: controller hierarchies only.
 */
export function cgroupLayout(mounts: MountInfo[]): CgroupLayout {
  const hierarchies = cgroupHierarchies(mounts, CGROUP_ROOT);
  const v1: CgroupV1Hierarchy[] = [];
  let v2MountPoint: string | undefined;
  for (const h of hierarchies) {
    if (h.version === 2) {
      // Prefer the canonical location if cgroup2 is mounted more than once.
      if (v2MountPoint === undefined || h.mountPoint === CGROUP_ROOT) v2MountPoint = h.mountPoint;
      continue;
    }
    const controllers = h.controllers.filter(isV1Controller);
    const seen = v1.some((other) => other.controllers.join() === controllers.join());
    if (controllers.length > 0 && !seen) v1.push({ mountPoint: h.mountPoint, controllers });
  }
  return { mode: cgroupLayoutOf(hierarchies, CGROUP_ROOT), v1, v2MountPoint };
}
