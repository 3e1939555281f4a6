import type { Hook, Process, Spec } from '../spec/index.ts';
import { deviceSteps } from './devices.ts';
import { MS, O, PERSONALITY } from './linux.ts';
import { rootfsPropagation } from './mount-options.ts';
import { type MountContext, mountSteps, specError } from './mounts.ts';
import { idMapSteps, type NamespacePlan, planNamespaces } from './namespaces.ts';
import { type LaunchPlan, NO_ROOT, Slot, type Step } from './ops.ts';
import { identitySteps, processPath, rlimitSteps } from './process.ts';

/** A compiled seccomp program (rt-seccomp's `compileSeccomp` output). */
export interface SeccompProgram {
  filter: Uint8Array;
  flags: number;
}

export interface ContainerPlanOptions {
  spec: Spec;
  bundle: string;
  /** Absolute path of the root filesystem. */
  rootfs: string;
  containerId: string;
  /** create: the exec fifo init blocks on until `start`. */
  execFifo?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** The launcher stays and reports the container's exit (foreground `run`). */
  monitor: boolean;
  seccomp?: SeccompProgram;
  /** The container's cgroup, relative to each hierarchy root. */
  cgroupsPath: string;
  /** The container's cgroup directories (absolute), bound into a `cgroup` mount; derived from cgroupsPath when absent. */
  cgroupDirs?: readonly string[];
  /** Highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap). */
  lastCap: number;
  /** Variables added to process.env (LISTEN_FDS passing). */
  extraEnv?: string[];
}

/** Turns a validated config.json into the launch plan the native helper executes. */
export function buildContainerPlan(o: ContainerPlanOptions): LaunchPlan {
  const process = o.spec.process;
  if (!process) throw specError('process: required to create a container');
  if (process.terminal && !o.consoleSocket) {
    throw specError(
      'process.terminal is true but no --console-socket was given',
      'pass --console-socket PATH',
    );
  }
  const ns = planNamespaces(o.spec.linux);
  return { steps: [...launcherSteps(o, ns), ...initSteps(o, process, ns)] };
}

function launcherSteps(o: ContainerPlanOptions, ns: NamespacePlan): Step[] {
  const steps: Step[] = [];
  if (o.execFifo) {
    steps.push({ op: 'mkfifo', args: [o.execFifo, 0o622] });
    steps.push({ op: 'open', args: [Slot.execFifo, o.execFifo, O.path] });
  }
  if (o.spec.process?.terminal)
    steps.push({ op: 'connectUnix', args: [Slot.consoleSocket, o.consoleSocket!] });
  steps.push(...ns.joins, { op: 'clone', args: [ns.cloneFlags, o.monitor ? 1 : 0] });
  steps.push(
    ...idMapSteps(o.spec.linux, ns.newUser),
    { op: 'reportPid', args: [] },
    { op: 'split', args: [] },
  );
  return steps;
}

function initSteps(o: ContainerPlanOptions, process: Process, ns: NamespacePlan): Step[] {
  const { spec } = o;
  const steps: Step[] = [{ op: 'waitGo', args: [] }];
  // In a user namespace the cloned child still has the host's ids, which the namespace does not
  // map: become its root first (runc's nsexec does the same), or files it creates get EOVERFLOW.
  if (spec.linux?.namespaces?.some((n) => n.type === 'user')) {
    steps.push({ op: 'setgroups', args: [[]] }, { op: 'setgid', args: [0] }, { op: 'setuid', args: [0] });
  }
  if (ns.newCgroup) steps.push({ op: 'unshare', args: [0x02000000] });
  steps.push({ op: 'setsid', args: [] });
  if (!o.noNewKeyring) steps.push({ op: 'joinKeyring', args: [o.containerId] });
  if (spec.hostname) steps.push({ op: 'sethostname', args: [spec.hostname] });
  if (spec.domainname) steps.push({ op: 'setdomainname', args: [spec.domainname] });
  steps.push(
    { op: 'umask', args: [0] },
    ...rootfsSteps(o, ns),
    ...hookSteps('createContainer', spec.hooks?.createContainer),
  );
  steps.push(
    { op: o.noPivot ? 'moveRoot' : 'pivotRoot', args: [Slot.rootfs] },
    { op: 'close', args: [Slot.rootfs] },
  );
  if (process.terminal) {
    const size = process.consoleSize;
    steps.push({
      op: 'console',
      args: [Slot.consoleSocket, size?.height ?? 0, size?.width ?? 0, '/dev/console'],
    });
  }
  steps.push(...finishRootfsSteps(spec), ...processSteps(o, process));
  return steps;
}

function rootfsSteps(o: ContainerPlanOptions, ns: NamespacePlan): Step[] {
  const ctx: MountContext = {
    bundle: o.bundle,
    userns: ns.newUser,
    cgroup: { cgroupsPath: o.cgroupsPath, cgroupDirs: o.cgroupDirs, cgroupns: ns.newCgroup },
  };
  const propagation = rootfsPropagation(o.spec.linux?.rootfsPropagation);
  const steps: Step[] = [
    { op: 'mount', args: ['', '/', '', propagation, '', NO_ROOT] },
    { op: 'mount', args: [o.rootfs, o.rootfs, '', MS.bind | MS.rec, '', NO_ROOT] },
    { op: 'open', args: [Slot.rootfs, o.rootfs, O.directory | O.path] },
  ];
  for (const mount of o.spec.mounts ?? []) steps.push(...mountSteps(mount, ctx));
  steps.push(...deviceSteps(o.spec.linux?.devices, ns.newUser));
  if (o.spec.process?.cwd) steps.push({ op: 'mkdir', args: [Slot.rootfs, o.spec.process.cwd, 0o755] });
  return steps;
}

/** After pivot_root: sysctls, read-only and masked paths, the read-only root. */
function finishRootfsSteps(spec: Spec): Step[] {
  const linux = spec.linux;
  const steps: Step[] = [];
  // runc's order: sysctls are written while /proc/sys is still writable, then it is made read-only.
  for (const [key, value] of Object.entries(linux?.sysctl ?? {})) {
    steps.push({ op: 'writeFile', args: [`/proc/sys/${key.replaceAll('.', '/')}`, value] });
  }
  for (const path of linux?.readonlyPaths ?? []) steps.push({ op: 'readonlyPath', args: [path] });
  for (const path of linux?.maskedPaths ?? []) steps.push({ op: 'maskPath', args: [path] });
  if (spec.root?.readonly) {
    steps.push({ op: 'mount', args: ['', '/', '', MS.bind | MS.remount | MS.rdonly, '', NO_ROOT] });
  }
  return steps;
}

function processSteps(o: ContainerPlanOptions, process: Process): Step[] {
  const env = [...(process.env ?? []), ...(o.extraEnv ?? [])];
  const args = process.args ?? [];
  if (args.length === 0) throw specError('process.args: must name the program to run');
  const nnp = process.noNewPrivileges === true;
  const steps: Step[] = [];
  if (process.oomScoreAdj !== undefined) {
    steps.push({ op: 'writeFile', args: ['/proc/self/oom_score_adj', String(process.oomScoreAdj)] });
  }
  steps.push(...rlimitSteps(process), ...personalitySteps(o.spec));
  steps.push({ op: 'chdir', args: [process.cwd] });
  // Without no_new_privs, seccomp needs CAP_SYS_ADMIN: install it before dropping privileges.
  if (o.seccomp && !nnp) steps.push({ op: 'seccomp', args: [o.seccomp.flags, o.seccomp.filter] });
  steps.push(...identitySteps(process, o.lastCap));
  steps.push({ op: 'lookupExec', args: [args[0]!, processPath(env)] }, { op: 'reportReady', args: [] });
  if (o.execFifo) steps.push({ op: 'waitStart', args: [Slot.execFifo] });
  steps.push(...hookSteps('startContainer', o.spec.hooks?.startContainer));
  if (nnp) steps.push({ op: 'noNewPrivs', args: [] });
  if (o.seccomp && nnp) steps.push({ op: 'seccomp', args: [o.seccomp.flags, o.seccomp.filter] });
  steps.push({ op: 'umask', args: [process.user.umask ?? 0o022] }, { op: 'exec', args: [args, env] });
  return steps;
}

function personalitySteps(spec: Spec): Step[] {
  const domain = spec.linux?.personality?.domain;
  if (domain === undefined) return [];
  const value = PERSONALITY[domain];
  if (value === undefined) throw specError(`linux.personality.domain: unknown domain '${domain}'`);
  return [{ op: 'personality', args: [value] }];
}

/** Hooks the init runs itself, in the container's namespaces. */
export function hookSteps(kind: string, hooks: readonly Hook[] | undefined): Step[] {
  return (hooks ?? []).map((h) => ({
    op: 'hook',
    args: [kind, h.path, h.args ?? [h.path], h.env ?? [], h.timeout ?? 0],
  }));
}
