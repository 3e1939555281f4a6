import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BerthError } from '../../core/index.ts';
import type { CgroupManager } from '../cgroups/index.ts';
import { buildContainerPlan, encodePlan, type SeccompProgram } from '../plan/index.ts';
import type { Spec, State } from '../spec/index.ts';
import {
  type ContainerRecord,
  checkContainerId,
  processStat,
  type StateStore,
  writeFileAtomic,
} from '../state/index.ts';
import { cgroupManagerFor, createResources, removeCgroup, type Warn } from './cgroup.ts';
import { runHooks } from './hooks.ts';
import { type ContainerStdio, type Launcher, type StartLauncher, startLauncher } from './launcher.ts';
import { Reverter } from './reverter.ts';
import { loadBundleSpec, resolveRootfs } from './spec-load.ts';
import { reportUnsupported, unsupportedSettings } from './unsupported.ts';

export interface CreateOptions {
  store: StateStore;
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** Extra fds (from 3) handed to the container, on top of LISTEN_FDS. */
  preserveFds?: number;
  systemdCgroup?: boolean;
  /** The launcher stays as monitor and reports the exit (foreground `run`). */
  monitor?: boolean;
  /** The container's stdin/stdout/stderr; the caller's own by default (runc's contract). */
  stdio?: ContainerStdio;
  /** Where warnings go (unsupported settings, cgroup knobs without a v2 equivalent); stderr when absent. */
  warn?: Warn;
  /** Fds the caller got from its service manager (`LISTEN_FDS`); this process's env by default. */
  listenFds?: number;
  /** Who executes the plan: the native helper by default, the caller's front-end in the planner. */
  launch?: StartLauncher;
}

export interface CreatedContainer {
  record: ContainerRecord;
  launcher: Launcher;
}

/** `create`: sets up the container and leaves its init waiting for `start`; undone on any failure. */
export async function createContainer(o: CreateOptions): Promise<CreatedContainer> {
  const id = checkContainerId(o.id);
  const bundle = resolve(o.bundle);
  const spec = loadBundleSpec(bundle);
  const rootfs = resolveRootfs(spec, bundle);
  reportUnsupported(unsupportedSettings(spec), o.warn);
  const reverter = new Reverter();
  o.store.claim(id);
  reverter.add(() => o.store.remove(id));
  try {
    const record: ContainerRecord = {
      id,
      pid: 0,
      pidStartTime: 0,
      bundle,
      rootfs,
      created: new Date().toISOString(),
      cgroupsPath: '',
      systemdCgroup: o.systemdCgroup === true,
      paused: false,
      spec,
    };
    const cgroup = await createCgroup(o, record, reverter);
    const launcher = launch(o, record, reverter, await compileSeccompOf(spec));
    await initialize({ launcher, record, reverter, cgroup });
    o.store.save(record);
    if (o.pidFile) writeFileAtomic(resolve(o.pidFile), String(record.pid));
    reverter.success();
    return { record, launcher };
  } catch (err) {
    await reverter.revert();
    throw err;
  }
}

/** Makes the container's cgroup (joined by init before it runs anything) and records its path. */
async function createCgroup(o: CreateOptions, record: ContainerRecord, reverter: Reverter) {
  const cgroup = await cgroupManagerFor(
    { id: record.id, cgroupsPath: record.spec.linux?.cgroupsPath, systemd: record.systemdCgroup },
    o.warn,
  );
  await cgroup.create();
  reverter.add(() => removeCgroup(cgroup));
  record.cgroupsPath = cgroup.path;
  record.cgroupPaths = { ...cgroup.paths };
  return cgroup;
}

function launch(
  o: CreateOptions,
  record: ContainerRecord,
  reverter: Reverter,
  seccomp?: SeccompProgram,
): Launcher {
  const listenFds = o.listenFds ?? (Number(process.env.LISTEN_FDS ?? 0) || 0);
  const plan = buildContainerPlan({
    spec: record.spec,
    bundle: record.bundle,
    rootfs: record.rootfs,
    containerId: record.id,
    execFifo: o.store.fifoPath(record.id),
    consoleSocket: o.consoleSocket ? resolve(o.consoleSocket) : undefined,
    noPivot: o.noPivot,
    noNewKeyring: o.noNewKeyring,
    monitor: o.monitor === true,
    cgroupsPath: record.cgroupsPath,
    cgroupDirs: Object.values(record.cgroupPaths ?? {}),
    lastCap: Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')),
    extraEnv: listenFds > 0 ? [`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1'] : [],
    seccomp,
  });
  const launcher = (o.launch ?? startLauncher)({
    plan: encodePlan(plan),
    passFds: listenFds + (o.preserveFds ?? 0),
    container: { root: o.store.root, id: record.id },
    stdio: o.stdio,
  });
  reverter.add(() => launcher.close());
  return launcher;
}

interface InitContext {
  launcher: Launcher;
  record: ContainerRecord;
  reverter: Reverter;
  cgroup: CgroupManager;
}

/**
 * Waits for init's pid, puts it in the cgroup with the spec's limits, runs the runtime-namespace
 * hooks, releases init and waits until it is ready.
 */
async function initialize({ launcher, record, reverter, cgroup }: InitContext): Promise<void> {
  const pid = await expect(launcher, 'pid');
  reverter.add(() => signalQuietly(pid, 'SIGKILL'));
  record.pid = pid;
  record.pidStartTime = processStat(pid)?.startTime ?? 0;
  await cgroup.addProcess(pid);
  await cgroup.applyResources(await createResources(record.spec));
  const state = specState(record, 'creating');
  await runHooks('prestart', record.spec.hooks?.prestart, state);
  await runHooks('createRuntime', record.spec.hooks?.createRuntime, state);
  launcher.send(['go', JSON.stringify(state)]);
  await expect(launcher, 'ready');
}

async function expect<T extends 'pid' | 'ready'>(
  launcher: Launcher,
  type: T,
): Promise<T extends 'pid' ? number : void> {
  const message = await launcher.next();
  if (message.type === type) return (message.type === 'pid' ? message.pid : undefined) as never;
  if (message.type === 'error') throw message.error;
  throw new BerthError({
    code: 'ERR_RUNTIME_LAUNCH_FAILED',
    category: 'Internal',
    message: `the native helper stopped before the container was ${type === 'pid' ? 'started' : 'ready'} (${message.type})`,
    hint: 'run with --debug and check the helper with native/build/berth-native --version',
  });
}

/** The runtime-spec state document for hooks and `state`. */
export function specState(record: ContainerRecord, status: State['status']): State {
  const state: State = { ociVersion: record.spec.ociVersion, id: record.id, status, bundle: record.bundle };
  if (status !== 'stopped') state.pid = record.pid;
  if (record.spec.annotations) state.annotations = record.spec.annotations;
  return state;
}

export function signalQuietly(pid: number, signal: NodeJS.Signals | number): void {
  try {
    process.kill(pid, signal);
  } catch {}
}

/** linux.seccomp compiled to BPF; the compiler is loaded only for specs that have a profile. */
export async function compileSeccompOf(spec: Spec): Promise<SeccompProgram | undefined> {
  if (!spec.linux?.seccomp) return undefined;
  const { compileSeccomp } = await import('../seccomp/index.ts');
  return compileSeccomp(spec.linux.seccomp);
}
