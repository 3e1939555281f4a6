// Shared set-up for the runtime's integration tests: a busybox root filesystem, bundles whose
// config.json a test adjusts, and berth-runtime invocations under a private --root.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Linux, Mount, Namespace, Process, Root, Spec } from '../../../src/runtime/spec/index.ts';
import { defaultSpec } from '../../../src/runtime/spec/index.ts';
import { makeBusyboxRootfs } from '../../fixtures/busybox-rootfs.ts';
import { removeEmptyCgroups } from '../../fixtures/cgroups.ts';
import { processesWith, stopProcessesWithEnv } from '../../fixtures/processes.ts';

/** A config.json with the parts tests change present. */
export type BundleSpec = Spec & {
  process: Process & { env: string[] };
  linux: Linux & { namespaces: Namespace[] };
  mounts: Mount[];
  root: Root;
};

export const BERTH_RUNTIME = fileURLToPath(new URL('../../../bin/berth-runtime', import.meta.url));

/** How these tests reach the runtime (env BERTH_RUNTIME_PLANNER): `off` runs the TypeScript CLI
 * each time, `on` requires the resident planner, unset starts one on first use as users get it. */
export function plannerMode(): 'off' | 'require' | 'auto' {
  const mode = process.env.BERTH_RUNTIME_PLANNER;
  return mode === 'off' ? 'off' : mode === 'on' || mode === 'require' ? 'require' : 'auto';
}

/** The environment for berth-runtime calls of a fixture: its planner (if any) lives in `dir`. */
export function runtimeEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BERTH_RUNTIME_PLANNER: plannerMode(),
    BERTH_RUNTIME_PLANNER_SOCKET: join(dir, 'planner.sock'),
  };
}

/**
 * Stops the planner a fixture's calls started: found by its socket in its environment, not by
 * its pid file, which a planner the last call started may not have written yet (it would then
 * write into the directory the clean-up is removing).
 */
export function stopPlanner(dir: string): void {
  stopProcessesWithEnv('BERTH_RUNTIME_PLANNER_SOCKET', join(dir, 'planner.sock'));
}

/** A temp dir with a busybox rootfs (`rootfs/`) that bundles share, and a private --root. */
export interface RuntimeFixture {
  dir: string;
  rootfs: string;
  root: string;
  cleanup(): void;
}

export function createFixture(): RuntimeFixture {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rt-'));
  const rootfs = join(dir, 'rootfs');
  makeBusyboxRootfs(rootfs);
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data/hello'), 'hello from the host\n');
  const root = join(dir, 'state');
  return {
    dir,
    rootfs,
    root,
    cleanup: () => {
      // Any container a failed test left behind is killed first, so its mounts go with it.
      for (const id of safeReaddir(root)) runtime(root, 'delete', '--force', id);
      stopPlanner(dir);
      rmSync(dir, { recursive: true, force: true });
      removeEmptyCgroups('berth');
    },
  };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

let bundles = 0;

/** Writes a bundle whose config is runc's example with `args`, changed by `edit`. */
export function makeBundle(fx: RuntimeFixture, args: string[], edit?: (spec: BundleSpec) => void): string {
  const bundle = join(fx.dir, `bundle-${++bundles}`);
  mkdirSync(bundle);
  const spec = defaultSpec();
  spec.root = { path: fx.rootfs, readonly: false };
  spec.process!.terminal = false;
  spec.process!.args = args;
  edit?.(spec as BundleSpec);
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  return bundle;
}

let outputs = 0;

/** Runs berth-runtime with stdout/stderr in files: a container started by create/run --detach
 * inherits them and outlives the command, so pipes would never close. */
export function runtime(root: string, ...args: string[]): RuntimeResult {
  const base = join(root, '..', `out-${++outputs}`);
  mkdirSync(join(root, '..'), { recursive: true });
  const out = openSync(`${base}.stdout`, 'w');
  const err = openSync(`${base}.stderr`, 'w');
  try {
    const r = spawnSync(BERTH_RUNTIME, ['--root', root, ...args], {
      env: runtimeEnv(join(root, '..')),
      stdio: ['ignore', out, err],
      timeout: 30_000,
    });
    return {
      status: r.status,
      signal: r.signal,
      stdout: readFileSync(`${base}.stdout`, 'utf8'),
      stderr: readFileSync(`${base}.stderr`, 'utf8'),
    };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

export interface RuntimeResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `run` of a bundle; returns stdout, stderr and the exit status. */
export function runBundle(fx: RuntimeFixture, id: string, bundle: string): RuntimeResult {
  return runtime(fx.root, 'run', '--bundle', bundle, id);
}

/** Host mounts whose path mentions the fixture's directory (left-overs after a failure). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(dir));
}

/** Processes whose command line mentions `needle` (a leaked init would). */
export function processesMatching(needle: string): number[] {
  return processesWith('cmdline', needle);
}

/** Directories named `path` (a cgroup path like /berth/ID) in any mounted cgroup hierarchy. */
export function cgroupsLeft(path: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4] ?? '');
  return mounts.map((m) => join(m, path)).filter((dir) => existsSync(dir));
}
