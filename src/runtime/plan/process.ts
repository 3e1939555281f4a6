import type { Capabilities, Process } from '../spec/index.ts';
import { CAPABILITIES, RLIMITS } from '../spec/index.ts';
import { specError } from './mounts.ts';
import type { Step } from './ops.ts';

/** A capability list as a bit mask; unknown names are a spec error naming the field. */
export function capabilityMask(names: readonly string[] | undefined, field: string): bigint {
  let mask = 0n;
  for (const name of names ?? []) {
    const bit = CAPABILITIES[name];
    if (bit === undefined) throw specError(`${field}: unknown capability ${name}`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

function allCapabilities(lastCap: number): bigint {
  return (1n << BigInt(lastCap + 1)) - 1n;
}

/** Bounding-set drop, ids, capability sets, ambient: the order that keeps CAP_SETUID/SETPCAP until needed. */
export function identitySteps(process: Process, lastCap: number): Step[] {
  const caps: Capabilities = process.capabilities ?? {};
  const bounding = capabilityMask(caps.bounding, 'process.capabilities.bounding');
  const steps: Step[] = [
    { op: 'capsDropBounding', args: [allCapabilities(lastCap) & ~bounding] },
    { op: 'keepcaps', args: [1] },
    { op: 'setgroups', args: [(process.user.additionalGids ?? []).map(String)] },
    { op: 'setgid', args: [process.user.gid] },
    { op: 'setuid', args: [process.user.uid] },
    {
      op: 'capset',
      args: [
        capabilityMask(caps.effective, 'process.capabilities.effective'),
        capabilityMask(caps.permitted, 'process.capabilities.permitted'),
        capabilityMask(caps.inheritable, 'process.capabilities.inheritable'),
      ],
    },
    { op: 'keepcaps', args: [0] },
  ];
  // The kernel raises an ambient capability only if it is permitted and inheritable; runc skips
  // the others silently, so the planner leaves them out.
  const ambient =
    capabilityMask(caps.ambient, 'process.capabilities.ambient') &
    capabilityMask(caps.permitted, 'process.capabilities.permitted') &
    capabilityMask(caps.inheritable, 'process.capabilities.inheritable');
  if (ambient !== 0n) steps.push({ op: 'ambientRaise', args: [ambient] });
  return steps;
}

const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

function rlimitValue(value: number): bigint {
  return value < 0 || value >= 2 ** 64 - 1 ? RLIM_INFINITY : BigInt(value);
}

export function rlimitSteps(process: Process): Step[] {
  return (process.rlimits ?? []).map((r) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw specError(`process.rlimits: unknown type ${r.type}`);
    return { op: 'setrlimit', args: [resource, rlimitValue(r.soft), rlimitValue(r.hard)] };
  });
}

/** The process's PATH (for lookup inside the container), defaulting like runc's. */
export function processPath(env: readonly string[]): string {
  const entry = env.find((e) => e.startsWith('PATH='));
  return entry ? entry.slice(5) : '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
}
