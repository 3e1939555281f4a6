import { BerthError } from '../../core/index.ts';
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

// mountinfo escapes space, tab, newline and backslash as octal.
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** The cgroup hierarchies mounted at or under `root`, from /proc/self/mountinfo text. */
export function parseHierarchies(mountinfo: string, root: string): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const fields = left.split(' ');
    const [fstype, , superOptions = ''] = right.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mountPoint = unescapeField(fields[4] ?? '');
    if (mountPoint !== root && !mountPoint.startsWith(`${root}/`)) continue;
    const controllers =
      fstype === 'cgroup2'
        ? []
        : superOptions.split(',').filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='));
    if (fstype === 'cgroup' && controllers.length === 0) continue;
    out.push({
      version: fstype === 'cgroup2' ? 2 : 1,
      mountPoint,
      mountRoot: unescapeField(fields[3] ?? '/'),
      controllers,
    });
  }
  return out;
}

/** Classifies the layout like runc: cgroup2 at the root is v2; v1 plus a cgroup2 mount is hybrid. */
export function modeOf(hierarchies: Hierarchy[], root: string): CgroupMode {
  if (hierarchies.some((h) => h.version === 2 && h.mountPoint === root)) return 'v2';
  const v1 = hierarchies.some((h) => h.version === 1);
  const v2 = hierarchies.some((h) => h.version === 2);
  if (v1) return v2 ? 'hybrid' : 'v1';
  if (v2) return 'v2';
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
