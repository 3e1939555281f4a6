import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Mount } from '../spec/index.ts';
import { MS } from './linux.ts';
import type { MountOptions } from './mount-options.ts';
import { Slot, type Step } from './ops.ts';

export interface CgroupMountContext {
  /** The container's cgroup path relative to each hierarchy's root (e.g. `/berth/abc`). */
  cgroupsPath: string;
  /** The container's cgroup directories (absolute, one per hierarchy); else mountpoint + cgroupsPath. */
  cgroupDirs?: readonly string[];
  /** The container gets its own cgroup namespace, so the cgroup filesystem can be mounted fresh. */
  cgroupns: boolean;
  /** Host cgroup mounts; read from /proc/self/mountinfo when not given. */
  hierarchies?: CgroupHierarchy[];
}

export interface CgroupHierarchy {
  mountpoint: string;
  fstype: 'cgroup' | 'cgroup2';
  /** Super options, e.g. `rw,cpu,cpuacct` (v1). */
  superOptions: string;
}

/** Host cgroup hierarchies mounted under /sys/fs/cgroup, from mountinfo. */
export function readCgroupHierarchies(
  mountinfo = readFileSync('/proc/self/mountinfo', 'utf8'),
): CgroupHierarchy[] {
  const out: CgroupHierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const [fstype, , superOptions = ''] = right.split(' ');
    const mountpoint = left.split(' ')[4] ?? '';
    if ((fstype === 'cgroup' || fstype === 'cgroup2') && mountpoint.startsWith('/sys/fs/cgroup')) {
      out.push({ mountpoint, fstype, superOptions });
    }
  }
  return out;
}

const ROOT = Slot.rootfs;

/** A `cgroup` mount: the container sees its own cgroup (v1: a tmpfs with one mount per hierarchy). */
export function cgroupMountSteps(mount: Mount, options: MountOptions, ctx: CgroupMountContext): Step[] {
  const hierarchies = ctx.hierarchies ?? readCgroupHierarchies();
  const dest = mount.destination;
  const flags = options.flags & ~MS.rdonly;
  const unifiedOnly = hierarchies.length === 1 && hierarchies[0]?.mountpoint === '/sys/fs/cgroup';
  if (unifiedOnly)
    return [
      { op: 'mkdir', args: [ROOT, dest, 0o755] },
      ...hierarchySteps(hierarchies[0]!, dest, options.flags, ctx),
    ];
  const steps: Step[] = [
    { op: 'mkdir', args: [ROOT, dest, 0o755] },
    { op: 'mount', args: ['tmpfs', dest, 'tmpfs', flags, 'mode=755', ROOT] },
  ];
  for (const h of hierarchies) {
    // A hierarchy the container's cgroup was not created in is left out, as runc does.
    if (!ctx.cgroupns && !existsSync(cgroupDirIn(h, ctx))) continue;
    const name = basename(h.mountpoint);
    const target = join(dest, name);
    steps.push(
      { op: 'mkdir', args: [ROOT, target, 0o755] },
      ...hierarchySteps(h, target, options.flags, ctx),
    );
    for (const alias of name.includes(',') ? name.split(',') : []) {
      steps.push({ op: 'symlink', args: [ROOT, name, join(dest, alias)] });
    }
  }
  if (options.flags & MS.rdonly) {
    steps.push({ op: 'mount', args: ['', dest, '', MS.remount | flags | MS.rdonly, 'mode=755', ROOT] });
  }
  return steps;
}

function hierarchySteps(h: CgroupHierarchy, target: string, flags: number, ctx: CgroupMountContext): Step[] {
  if (ctx.cgroupns) {
    const data =
      h.fstype === 'cgroup'
        ? h.superOptions
            .split(',')
            .filter((o) => o !== 'rw' && o !== 'ro')
            .join(',')
        : '';
    return [{ op: 'mount', args: [h.fstype, target, h.fstype, flags, data, ROOT] }];
  }
  const source = cgroupDirIn(h, ctx);
  const steps: Step[] = [{ op: 'mount', args: [source, target, '', MS.bind | MS.rec, '', ROOT] }];
  const extra = flags & (MS.rdonly | MS.nosuid | MS.nodev | MS.noexec);
  if (extra) steps.push({ op: 'mount', args: ['', target, '', MS.bind | MS.remount | extra, '', ROOT] });
  return steps;
}

/** The container's directory in hierarchy `h`. */
function cgroupDirIn(h: CgroupHierarchy, ctx: CgroupMountContext): string {
  const inside = ctx.cgroupDirs?.find((d) => d === h.mountpoint || d.startsWith(`${h.mountpoint}/`));
  return inside ?? join(h.mountpoint, ctx.cgroupsPath);
}
