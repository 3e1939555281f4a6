import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type CgroupHierarchy, readCgroupHierarchies } from '../cgroups/index.ts';
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
  /** Host cgroup hierarchies under /sys/fs/cgroup; read from /proc/self/mountinfo when not given. */
  hierarchies?: CgroupHierarchy[];
}

const ROOT = Slot.rootfs;

/** A `cgroup` mount: the container sees its own cgroup (v1: a tmpfs with one mount per hierarchy). */
export function cgroupMountSteps(mount: Mount, options: MountOptions, ctx: CgroupMountContext): Step[] {
  const hierarchies = ctx.hierarchies ?? readCgroupHierarchies();
  const dest = mount.destination;
  const flags = options.flags & ~MS.rdonly;
  const unifiedOnly = hierarchies.length === 1 && hierarchies[0]?.mountPoint === '/sys/fs/cgroup';
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
    const name = basename(h.mountPoint);
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
    const fsType = h.version === 1 ? 'cgroup' : 'cgroup2';
    const data = h.version === 1 ? h.superOptions.filter((o) => o !== 'rw' && o !== 'ro').join(',') : '';
    return [{ op: 'mount', args: [fsType, target, fsType, flags, data, ROOT] }];
  }
  const source = cgroupDirIn(h, ctx);
  const steps: Step[] = [{ op: 'mount', args: [source, target, '', MS.bind | MS.rec, '', ROOT] }];
  const extra = flags & (MS.rdonly | MS.nosuid | MS.nodev | MS.noexec);
  if (extra) steps.push({ op: 'mount', args: ['', target, '', MS.bind | MS.remount | extra, '', ROOT] });
  return steps;
}

/** The container's directory in hierarchy `h`. */
function cgroupDirIn(h: CgroupHierarchy, ctx: CgroupMountContext): string {
  const inside = ctx.cgroupDirs?.find((d) => d === h.mountPoint || d.startsWith(`${h.mountPoint}/`));
  return inside ?? join(h.mountPoint, ctx.cgroupsPath);
}
