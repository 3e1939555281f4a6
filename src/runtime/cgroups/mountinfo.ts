import { BerthError, type MountInfo, parseMountInfo } from '../../core/index.ts';
import type { CgroupMode } from './types.ts';

/** One mounted cgroup hierarchy. */
export interface Hierarchy {
  version: 1 | 2;
  /** Where it is mounted, e.g. `/sys/fs/cgroup/memory`. */
  mountPoint: string;
  /** The cgroup the mount shows as its root (not `/` inside a cgroup namespace). */
  mountRoot: string;
  /** v1 controllers on this mount (`cpu`, `cpuacct`, `name=systemd`); empty for v2. */
  controllers: string[];
  /** Per-superblock options as mounted (`rw`, `cpu`, `cpuacct`, `xattr`, `nsdelegate` …). */
  superOptions: string[];
}

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

/** The cgroup hierarchies among `mounts` mounted at or under `root`. */
export function cgroupHierarchies(mounts: readonly MountInfo[], root: string): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const mount of mounts) {
    const { fsType, mountPoint, superOptions } = mount;
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    if (mountPoint !== root && !mountPoint.startsWith(`${root}/`)) continue;
    const controllers =
      fsType === 'cgroup2' ? [] : superOptions.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='));
    if (fsType === 'cgroup' && controllers.length === 0) continue;
    out.push({
      version: fsType === 'cgroup2' ? 2 : 1,
      mountPoint,
      mountRoot: mount.root || '/',
      controllers,
      superOptions,
    });
  }
  return out;
}

/** The cgroup hierarchies mounted at or under `root`, from /proc/self/mountinfo text. */
export function parseHierarchies(mountinfo: string, root: string): Hierarchy[] {
  return cgroupHierarchies(parseMountInfo(mountinfo), root);
}

/** v1 names a controller hierarchy, not a named one such as name=systemd. */
export function isV1Controller(option: string): boolean {
  return V1_CONTROLLERS.has(option);
}

/** The layout like {@link modeOf}, or `none` when no cgroup filesystem is mounted under `root`. */
export function layoutOf(hierarchies: Hierarchy[], root: string): CgroupMode | 'none' {
  if (hierarchies.some((h) => h.version === 2 && h.mountPoint === root)) return 'v2';
  const v1 = hierarchies.some((h) => h.version === 1);
  const v2 = hierarchies.some((h) => h.version === 2);
  if (v1) return v2 ? 'hybrid' : 'v1';
  return v2 ? 'v2' : 'none';
}

/** Classifies the layout like runc: cgroup2 at the root is v2; v1 plus a cgroup2 mount is hybrid. */
export function modeOf(hierarchies: Hierarchy[], root: string): CgroupMode {
  const mode = layoutOf(hierarchies, root);
  if (mode !== 'none') return mode;
  throw new BerthError({
    code: 'ERR_RUNTIME_CGROUP_NOT_MOUNTED',
    category: 'FailedPrecondition',
    message: `no cgroup filesystem is mounted under ${root}`,
    hint: 'mount cgroup2 on /sys/fs/cgroup (or the v1 hierarchies) before running containers',
  });
}

/** The process's own cgroup in a hierarchy, from /proc/self/cgroup text (`/` when not listed). */
export function ownCgroupIn(procCgroup: string, hierarchy: Hierarchy): string {
  for (const line of procCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (match === null) continue;
    const [, id, list = '', path = '/'] = match;
    if (hierarchy.version === 2 && id === '0' && list === '') return path;
    if (hierarchy.version === 1 && list.split(',').some((c) => hierarchy.controllers.includes(c)))
      return path;
  }
  return '/';
}
