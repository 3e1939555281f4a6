import type { IdMapping, Linux, NamespaceType } from '../spec/index.ts';
import { CLONE } from './linux.ts';
import { specError } from './mounts.ts';
import type { Step } from './ops.ts';

/** Clone flag and /proc/PID/ns name of each namespace type. */
export const NAMESPACES: Record<NamespaceType, { flag: number; proc: string }> = {
  user: { flag: CLONE.newuser, proc: 'user' },
  ipc: { flag: CLONE.newipc, proc: 'ipc' },
  uts: { flag: CLONE.newuts, proc: 'uts' },
  network: { flag: CLONE.newnet, proc: 'net' },
  pid: { flag: CLONE.newpid, proc: 'pid' },
  cgroup: { flag: CLONE.newcgroup, proc: 'cgroup' },
  time: { flag: CLONE.newtime, proc: 'time' },
  mount: { flag: CLONE.newns, proc: 'mnt' },
};

/** setns order: the user namespace first (it owns the others), the mount namespace last. */
const JOIN_ORDER = Object.keys(NAMESPACES) as NamespaceType[];

export interface NamespacePlan {
  /** Flags for the clone step (new namespaces, except cgroup: unshared once in its cgroup). */
  cloneFlags: number;
  /** Joining namespaces given by path, in the launcher, before clone. */
  joins: Step[];
  newUser: boolean;
  newCgroup: boolean;
  newMount: boolean;
  newUts: boolean;
}

/** Turns linux.namespaces into clone flags and setns steps; unknown or repeated types are errors. */
export function planNamespaces(linux: Linux | undefined): NamespacePlan {
  const seen = new Map<NamespaceType, string | undefined>();
  for (const [i, ns] of (linux?.namespaces ?? []).entries()) {
    if (!Object.hasOwn(NAMESPACES, ns.type))
      throw specError(`linux.namespaces[${i}].type: unknown namespace type '${ns.type}'`);
    if (seen.has(ns.type))
      throw specError(`linux.namespaces[${i}]: namespace type '${ns.type}' listed twice`);
    seen.set(ns.type, ns.path);
  }
  let flags = 0;
  const joins: Step[] = [];
  for (const type of JOIN_ORDER) {
    if (!seen.has(type)) continue;
    const path = seen.get(type);
    if (path) joins.push({ op: 'setns', args: [path, NAMESPACES[type].flag] });
    else flags |= NAMESPACES[type].flag;
  }
  const isNew = (flag: number) => (flags & flag) !== 0;
  return {
    cloneFlags: flags & ~CLONE.newcgroup,
    joins,
    newUser: isNew(CLONE.newuser),
    newCgroup: isNew(CLONE.newcgroup),
    newMount: isNew(CLONE.newns),
    newUts: isNew(CLONE.newuts),
  };
}

function mapText(mappings: readonly IdMapping[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** Writes of the new user namespace's id maps, done by the launcher once the child exists. */
export function idMapSteps(linux: Linux | undefined, newUser: boolean): Step[] {
  if (!newUser) return [];
  const uid = linux?.uidMappings ?? [];
  const gid = linux?.gidMappings ?? [];
  if (uid.length === 0 || gid.length === 0) {
    throw specError('linux.uidMappings and linux.gidMappings are required with a new user namespace');
  }
  return [
    { op: 'writeChildFile', args: ['uid_map', mapText(uid)] },
    { op: 'writeChildFile', args: ['gid_map', mapText(gid)] },
  ];
}
