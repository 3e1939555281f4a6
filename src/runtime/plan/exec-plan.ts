import type { NamespaceType, Process } from '../spec/index.ts';
import type { SeccompProgram } from './build.ts';
import { specError } from './mounts.ts';
import { NAMESPACES } from './namespaces.ts';
import { type LaunchPlan, Slot, type Step } from './ops.ts';
import { identitySteps, processPath, rlimitSteps } from './process.ts';

export interface ExecPlanOptions {
  process: Process;
  /** The container's init, whose namespaces the new process joins. */
  initPid: number;
  /** Namespace types the container has of its own (joined with setns). */
  namespaces: NamespaceType[];
  consoleSocket?: string;
  monitor: boolean;
  seccomp?: SeccompProgram;
  lastCap: number;
}

/** A plan that starts one more process in a running container's namespaces (`exec`). */
export function buildExecPlan(o: ExecPlanOptions): LaunchPlan {
  const { process } = o;
  const args = process.args ?? [];
  if (args.length === 0)
    throw specError('process.args: must name the program to run', 'pass a command to exec');
  if (process.terminal && !o.consoleSocket) {
    throw specError(
      'process.terminal is true but no --console-socket was given',
      'pass --console-socket PATH',
    );
  }
  const steps: Step[] = [];
  if (process.terminal) steps.push({ op: 'connectUnix', args: [Slot.consoleSocket, o.consoleSocket!] });
  for (const type of Object.keys(NAMESPACES) as NamespaceType[]) {
    if (!o.namespaces.includes(type)) continue;
    steps.push({
      op: 'setns',
      args: [`/proc/${o.initPid}/ns/${NAMESPACES[type].proc}`, NAMESPACES[type].flag],
    });
  }
  steps.push(
    { op: 'clone', args: [0, o.monitor ? 1 : 0] },
    { op: 'reportPid', args: [] },
    { op: 'split', args: [] },
  );
  steps.push({ op: 'waitGo', args: [] }, { op: 'setsid', args: [] });
  if (process.terminal)
    steps.push({
      op: 'console',
      args: [Slot.consoleSocket, process.consoleSize?.height ?? 0, process.consoleSize?.width ?? 0],
    });
  const env = process.env ?? [];
  const nnp = process.noNewPrivileges === true;
  steps.push(...rlimitSteps(process), { op: 'chdir', args: [process.cwd] });
  if (o.seccomp && !nnp) steps.push({ op: 'seccomp', args: [o.seccomp.flags, o.seccomp.filter] });
  steps.push(...identitySteps(process, o.lastCap));
  steps.push({ op: 'lookupExec', args: [args[0]!, processPath(env)] }, { op: 'reportReady', args: [] });
  if (nnp) steps.push({ op: 'noNewPrivs', args: [] });
  if (o.seccomp && nnp) steps.push({ op: 'seccomp', args: [o.seccomp.flags, o.seccomp.filter] });
  steps.push({ op: 'umask', args: [process.user.umask ?? 0o022] }, { op: 'exec', args: [args, env] });
  return { steps };
}
