// Peers for the archive tests: a private dockerd (its own data root, exec root, socket and
// network namespace), stopped by pid when the test ends, and small archive builders.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContentStore, ImageStore } from '../../../src/image/index.ts';
import { type Cleanup, run } from './registry-harness.ts';

export interface Stores {
  content: ContentStore;
  images: ImageStore;
}

export function storesIn(dir: string): Stores {
  return { content: ContentStore.forStateDir(dir), images: ImageStore.forStateDir(dir) };
}

export interface PrivateDocker {
  /** Runs /usr/bin/docker against this daemon. */
  docker(args: string[]): Promise<string>;
}

/**
 * Starts dockerd in new network and mount namespaces with everything in a temp dir; resolves
 * `{ failed }` with the reason when it cannot start here. Stopped, and its files removed, at the end.
 */
export async function startDockerd(t: Cleanup): Promise<PrivateDocker | { failed: string }> {
  // Its own temp dir, so its clean-up (stop, then remove) does not race the test's.
  const dir = await mkdtemp(join(tmpdir(), 'berth-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const pidfile = join(dir, 'docker.pid');
  const daemon = [
    'dockerd',
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '-H',
    `unix://${socket}`,
    '--pidfile',
    pidfile,
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
  ];
  // A private mount namespace too: dockerd's mounts (its data root, overlays) die with it.
  const unshare = ['--net', '--mount', '--propagation', 'private', '--fork', '--'];
  const child: ChildProcess = spawn('unshare', [...unshare, ...daemon], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  });
  t.after(async () => {
    await stopDockerd(child, pidfile);
    await rm(dir, { recursive: true, force: true });
  });
  const docker = (args: string[]) =>
    run('/usr/bin/docker', ['-H', `unix://${socket}`, ...args], { maxBuffer: 16 << 20 }).then(
      (r) => r.stdout,
    );
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) return { failed: `dockerd exited: ${log.split('\n').slice(-5).join('\n')}` };
    if (
      existsSync(socket) &&
      (await docker(['version']).then(
        () => true,
        () => false,
      ))
    )
      return { docker };
    await sleep(250);
  }
  return { failed: `dockerd did not answer within 30 s: ${log.split('\n').slice(-5).join('\n')}` };
}

/** Stops exactly the daemon this test started (by its pid file, then the unshare parent). */
async function stopDockerd(child: ChildProcess, pidfile: string): Promise<void> {
  const pid = existsSync(pidfile) ? Number(readFileSync(pidfile, 'utf8').trim()) : undefined;
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  for (let i = 0; i < 80 && child.exitCode === null; i++) await sleep(250);
  if (child.exitCode === null && child.pid) {
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    child.kill('SIGKILL');
  }
}

/** The uncompressed tar of `dir` (root:root, fixed mtimes, sorted). */
export async function tarOf(dir: string): Promise<Buffer> {
  const { stdout } = await run(
    'tar',
    ['--sort=name', '--owner=0', '--group=0', '--mtime=@0', '-C', dir, '-cf', '-', '.'],
    {
      encoding: 'buffer',
      maxBuffer: 64 << 20,
    },
  );
  return stdout as unknown as Buffer;
}

export async function readJsonFile<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
