import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { createLogger, type Logger } from '../../core/index.ts';
import { type DeviceFilterLoader, kernelDeviceFilterLoader } from './bpf.ts';
import { type CgroupFs, nodeCgroupFs } from './fs.ts';
import { HybridManager } from './hybrid.ts';
import { type Hierarchy, layoutOf, modeOf, ownCgroupIn, parseHierarchies } from './mountinfo.ts';
import { resolveCgroupPath } from './path.ts';
import type { CgroupManager, CgroupMode } from './types.ts';
import { V1Manager } from './v1.ts';
import { V2Manager } from './v2.ts';

export type { DeviceFilterLoader } from './bpf.ts';
export { compileDeviceFilter, encodeProgram } from './device-filter.ts';
export { allowRulesForDevices, defaultAllowedDevices, effectiveDeviceRules } from './devices.ts';
export type { CgroupFs } from './fs.ts';
export type { Hierarchy as CgroupHierarchy } from './mountinfo.ts';
/** The cgroup hierarchies among parsed mounts, at or under a root; and whether an option names a v1 controller. */
export { cgroupHierarchies, isV1Controller } from './mountinfo.ts';
export { expandSlice, resolveCgroupPath } from './path.ts';
export type { BlkioEntry, CgroupManager, CgroupMode, CgroupStats, MemoryEntry } from './types.ts';
export { blkioWeightToIoWeight, sharesToWeight, swapToV2 } from './v2-resources.ts';

const DEFAULT_ROOT = '/sys/fs/cgroup';

/** Tells how this host mounts cgroups, from /proc/self/mountinfo text (read when not given). */
export function detectCgroupMode(mountinfo?: string, root = DEFAULT_ROOT): CgroupMode {
  const text = mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  return modeOf(parseHierarchies(text, root), root);
}

/** The cgroup hierarchies mounted at or under `root`, from /proc/self/mountinfo text (read when not given). */
export function readCgroupHierarchies(mountinfo?: string, root = DEFAULT_ROOT): Hierarchy[] {
  return parseHierarchies(mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8'), root);
}

/** The layout of hierarchies as detectCgroupMode tells it, or `none` instead of an error when nothing is mounted. */
export function cgroupLayoutOf(hierarchies: Hierarchy[], root = DEFAULT_ROOT): CgroupMode | 'none' {
  return layoutOf(hierarchies, root);
}

export interface CgroupManagerOptions {
  /** `linux.cgroupsPath`; absent → `/berth/<id>`. */
  cgroupsPath?: string;
  containerId: string;
  /** `--systemd-cgroup`: cgroupsPath is `slice:prefix:name`. */
  systemd?: boolean;
  /** Where cgroups are mounted; default /sys/fs/cgroup (tests pass a temp dir). */
  root?: string;
  /** /proc/self/mountinfo text; read when absent. */
  mountinfo?: string;
  /** /proc/self/cgroup text, for relative cgroupsPath; read when absent. */
  procCgroup?: string;
  fs?: CgroupFs;
  log?: Logger;
  /** Huge page sizes as cgroup files name them (`2MB`); read from /sys/kernel/mm/hugepages when absent. */
  hugePageSizes?: string[];
  /** Sends a signal (killAll); process.kill when absent. */
  signal?: (pid: number, signal: number) => void;
  /** Installs v2 device programs; bpf(2) when absent. */
  deviceFilter?: DeviceFilterLoader;
}

/** Makes the manager for one container's cgroup on this host's layout (v1, hybrid or v2). */
export function createCgroupManager(options: CgroupManagerOptions): CgroupManager {
  const root = options.root ?? DEFAULT_ROOT;
  const hierarchies = parseHierarchies(
    options.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8'),
    root,
  );
  const mode = modeOf(hierarchies, root);
  const resolved = resolveCgroupPath(options);
  const procCgroup = resolved.relative
    ? (options.procCgroup ?? readFileSync('/proc/self/cgroup', 'utf8'))
    : '';
  const pathIn = (h: Hierarchy): string =>
    resolved.relative ? posix.join(ownCgroupIn(procCgroup, h), resolved.path) : resolved.path;
  const dirIn = (h: Hierarchy): string => posix.join(h.mountPoint, stripMountRoot(pathIn(h), h.mountRoot));
  const common = {
    fs: options.fs ?? nodeCgroupFs,
    log: options.log ?? createLogger({ level: 'warn' }),
    hugePageSizes: options.hugePageSizes ?? hostHugePageSizes(),
    signal: options.signal ?? ((pid: number, signal: number) => process.kill(pid, signal)),
  };
  const unified = hierarchies.find((h) => h.version === 2);
  const deviceFilter = options.deviceFilter ?? kernelDeviceFilterLoader;
  const v2 = (h: Hierarchy): V2Manager =>
    new V2Manager({ ...common, deviceFilter, mountPoint: h.mountPoint, dir: dirIn(h), path: pathIn(h) });
  if (mode === 'v2' && unified !== undefined) return v2(unified);
  const v1Hierarchies = hierarchies.filter((h) => h.version === 1);
  const first = v1Hierarchies.find((h) => h.controllers.includes('name=systemd')) ?? v1Hierarchies[0];
  const v1 = new V1Manager({
    ...common,
    path: first === undefined ? resolved.path : pathIn(first),
    hierarchies: v1Hierarchies.map((h) => ({
      mountPoint: h.mountPoint,
      controllers: h.controllers,
      dir: dirIn(h),
    })),
  });
  return mode === 'hybrid' && unified !== undefined ? new HybridManager(v1, v2(unified)) : v1;
}

// Inside a cgroup namespace a mount shows only a subtree: paths are relative to its root.
function stripMountRoot(path: string, mountRoot: string): string {
  if (mountRoot === '/' || !(path === mountRoot || path.startsWith(`${mountRoot}/`))) return path;
  return path.slice(mountRoot.length) || '/';
}

/** `hugepages-2048kB` → `2MB`, the names cgroup files use. */
export function hugePageSizeName(dirName: string): string | undefined {
  const match = /^hugepages-(\d+)kB$/.exec(dirName);
  if (match === null) return undefined;
  const kb = Number(match[1]);
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = kb;
  let unit = 0;
  while (value >= 1024 && value % 1024 === 0 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value}${units[unit]}`;
}

function hostHugePageSizes(): string[] {
  try {
    return readdirSync('/sys/kernel/mm/hugepages')
      .map(hugePageSizeName)
      .filter((s): s is string => s !== undefined);
  } catch {
    return [];
  }
}
