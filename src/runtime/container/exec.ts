import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildExecPlan, encodePlan } from '../plan/index.ts';
import type { Process } from '../spec/index.ts';
import { containerStatus, type StateStore, writeFileAtomic } from '../state/index.ts';
import { recordCgroup, type Warn } from './cgroup.ts';
import { compileSeccompOf, signalQuietly, specState } from './create.ts';
import { type StartLauncher, startLauncher } from './launcher.ts';
import { followProcess } from './run.ts';
import { reportUnsupported, unsupportedSettings } from './unsupported.ts';
import { wrongState } from './wrong-state.ts';

export interface ExecOptions {
  store: StateStore;
  id: string;
  process: Process;
  consoleSocket?: string;
  pidFile?: string;
  /** Return once the process runs instead of waiting for its exit status. */
  detach?: boolean;
  preserveFds?: number;
  /** Where warnings go (unsupported security labels); stderr when absent. */
  warn?: Warn;
  /** Who executes the plan: the native helper by default, the caller's front-end in the planner. */
  launch?: StartLauncher;
}

/** `exec`: starts another process in a running container's namespaces; returns its exit status. */
export async function execProcess(o: ExecOptions): Promise<number> {
  const record = o.store.load(o.id);
  const status = containerStatus(record, o.store.fifoPath(o.id));
  if (status !== 'running') throw wrongState('exec in', o.id, status);
  reportUnsupported(unsupportedSettings({ process: o.process }), o.warn);
  const plan = buildExecPlan({
    process: o.process,
    initPid: record.pid,
    namespaces: (record.spec.linux?.namespaces ?? []).map((n) => n.type),
    consoleSocket: o.consoleSocket ? resolve(o.consoleSocket) : undefined,
    monitor: !o.detach,
    seccomp: await compileSeccompOf(record.spec),
    lastCap: Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')),
  });
  const launcher = (o.launch ?? startLauncher)({ plan: encodePlan(plan), passFds: o.preserveFds ?? 0 });
  let pid = 0;
  try {
    const first = await launcher.next();
    if (first.type === 'error') throw first.error;
    if (first.type !== 'pid') throw new Error(`exec: unexpected ${first.type} from the native helper`);
    pid = first.pid;
    // The process joins the container's cgroups (and so its limits) before it runs anything.
    await (await recordCgroup(record)).addProcess(pid);
    launcher.send(['go', JSON.stringify(specState(record, 'running'))]);
    const ready = await launcher.next();
    if (ready.type === 'error') throw ready.error;
    if (o.pidFile) writeFileAtomic(resolve(o.pidFile), String(pid));
  } catch (err) {
    if (pid) signalQuietly(pid, 'SIGKILL');
    launcher.close();
    throw err;
  }
  return followProcess(launcher, { pid, detach: o.detach });
}
