import { join } from 'node:path';
import { parseMountInfo } from '../../core/index.ts';
import { type CheckContext, type CheckResult, fail, ok, warn } from '../check.ts';
import { type CgroupLayout, cgroupLayout } from './cgroup-layout.ts';

/** Controllers Berth sets limits with; a host without one of them cannot enforce that limit. */
const WANTED = ['cpu', 'memory', 'pids'];

export interface CgroupEvidence {
  layout: CgroupLayout;
  /** The cgroup2 root's `cgroup.controllers`. */
  v2Controllers: string[];
  /** Hierarchies where creating and removing a child cgroup failed, with why. */
  unwritable: string[];
}

/** Every controller available, v1 and v2 together. */
export function availableControllers(evidence: CgroupEvidence): string[] {
  return [...new Set([...evidence.layout.v1.flatMap((h) => h.controllers), ...evidence.v2Controllers])];
}

export function cgroupVerdict(evidence: CgroupEvidence): CheckResult {
  const { layout, v2Controllers, unwritable } = evidence;
  const v1 = layout.v1.flatMap((h) => h.controllers);
  const facts = { mode: layout.mode, v1Controllers: v1, v2Controllers, v2MountPoint: layout.v2MountPoint };
  const base = { id: 'cgroups', title: 'cgroups', required: true, facts };
  if (layout.mode === 'none') {
    return fail({ ...base, detail: 'no cgroup filesystem mounted', hint: 'mount cgroup2 on /sys/fs/cgroup' });
  }
  const parts = [`${layout.mode}:`];
  if (layout.mode !== 'v2') parts.push(`v1 ${v1.join(', ')};`);
  parts.push(`v2 ${v2Controllers.length > 0 ? v2Controllers.join(', ') : '(no controllers)'}`);
  const detail = parts.join(' ');
  if (unwritable.length > 0) {
    const hint = 'run Berth as root with /sys/fs/cgroup mounted read-write';
    return fail({ ...base, detail: `${detail}; cannot create cgroups in ${unwritable.join('; ')}`, hint });
  }
  const missing = WANTED.filter((c) => !availableControllers(evidence).includes(c));
  if (missing.length > 0) {
    const hint = `limits on ${missing.join(', ')} cannot be enforced; enable those controllers`;
    return warn({ ...base, detail: `${detail}; missing ${missing.join(', ')}`, hint });
  }
  return ok({ ...base, detail });
}

async function probeWritable(ctx: CheckContext, mountPoint: string): Promise<string | undefined> {
  const probe = join(mountPoint, `berth-doctor-${process.pid}`);
  try {
    await ctx.host.makeDir(probe);
  } catch (err) {
    return `${mountPoint} (${(err as NodeJS.ErrnoException).code ?? err})`;
  }
  await ctx.host.removeDir(probe);
  return undefined;
}

/** Reads the layout from mountinfo, the v2 controllers, and creates a child cgroup in each hierarchy. */
export async function checkCgroups(ctx: CheckContext): Promise<CheckResult> {
  const layout = cgroupLayout(parseMountInfo(await ctx.host.readFile('/proc/self/mountinfo')));
  let v2Controllers: string[] = [];
  if (layout.v2MountPoint !== undefined) {
    const text = await ctx.host.readFile(join(layout.v2MountPoint, 'cgroup.controllers')).catch(() => '');
    v2Controllers = text.split(/\s+/).filter(Boolean);
  }
  const mountPoints = [...layout.v1.map((h) => h.mountPoint)];
  if (layout.v2MountPoint !== undefined) mountPoints.push(layout.v2MountPoint);
  const unwritable = (await Promise.all(mountPoints.map((m) => probeWritable(ctx, m)))).filter(
    (m): m is string => m !== undefined,
  );
  return cgroupVerdict({ layout, v2Controllers, unwritable });
}
