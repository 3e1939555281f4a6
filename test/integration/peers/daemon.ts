// Starts a peer daemon (dockerd, containerd) for a test, isolated from the host: its own network,
// mount and pid namespaces (`unshare`), its own state under a temp dir. Stopping it ends every
// process it started (the pid namespace dies with its init) and removes the temp dir.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

export interface PeerDaemon {
  dir: string;
  /** Log of the daemon, for failure messages. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Writes the daemon's config into its temp dir before it starts. */
  prepare?(dir: string): Promise<void>;
  /** Builds the daemon's argv once its temp dir exists. */
  argv(dir: string): string[];
  /** Resolves true once the daemon answers. */
  ready(dir: string): Promise<boolean>;
  timeoutMs?: number;
}

/** Starts a daemon in fresh net/mount/pid namespaces with loopback up, and waits until it is ready. */
export async function startPeerDaemon(options: StartOptions): Promise<PeerDaemon> {
  const dir = await mkdtemp(join(tmpdir(), `berth-${options.name}-`));
  const logPath = join(dir, 'daemon.log');
  const out = createWriteStream(logPath);
  await once(out, 'open');
  await options.prepare?.(dir);
  const script = 'ip link set lo up && exec "$@"';
  const child = spawn(
    'unshare',
    [
      '--net',
      '--mount',
      '--pid',
      '--mount-proc',
      '--fork',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      ...options.argv(dir),
    ],
    { stdio: ['ignore', out, out], env: daemonEnv() },
  );
  const daemon: PeerDaemon = {
    dir,
    log: () => readFile(logPath, 'utf8').catch(() => ''),
    stop: () => stopDaemon(child, dir),
  };
  try {
    await waitReady(options, dir, child);
    return daemon;
  } catch (err) {
    const log = await daemon.log();
    await daemon.stop();
    throw new Error(`${options.name} did not start: ${(err as Error).message}\n${log.slice(-4000)}`);
  }
}

/**
 * The test runner's environment without its NODE_* variables: a daemon passes its environment to
 * the runtimes it starts, and a Node-based runtime that inherits NODE_TEST_CONTEXT behaves as a
 * test-runner child instead of a command (no daemon a user runs carries them).
 */
function daemonEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('NODE_')));
}

async function waitReady(options: StartOptions, dir: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with status ${child.exitCode}`);
    if (await options.ready(dir).catch(() => false)) return;
    await sleep(200);
  }
  throw new Error('timed out waiting for it to answer');
}

/** SIGTERM to the daemon (pid 1 of its namespace), SIGKILL after 15 s; then the namespace is gone. */
async function stopDaemon(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const daemonPid = await firstChild(child.pid ?? 0);
    if (daemonPid) process.kill(daemonPid, 'SIGTERM');
    else child.kill('SIGKILL');
    const exited = once(child, 'exit');
    const timer = setTimeout(() => {
      if (daemonPid) process.kill(daemonPid, 'SIGKILL');
      child.kill('SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

async function firstChild(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const first = text.trim().split(/\s+/)[0];
  return first ? Number(first) : undefined;
}

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client command to completion; a non-zero exit is an answer, not an exception. */
export async function capture(
  file: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CommandOutput> {
  const child = promisify(execFile)(file, args, { timeout: options.timeoutMs ?? 60_000 });
  if (options.input !== undefined) child.child.stdin?.end(options.input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
