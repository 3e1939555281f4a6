// `berth run` as a user runs it (root): bin/berth with temp BERTH_STATE_DIR/BERTH_RUN_DIR, and
// after every run nothing left: no mount under those dirs, no active snapshot, no container
// state or bundle, no cgroup.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeEmptyCgroups } from '../fixtures/cgroups.ts';

const BERTH = fileURLToPath(new URL('../../bin/berth', import.meta.url));
let root = '';
let env: NodeJS.ProcessEnv = {};

function berth(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(BERTH, args, { env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function cgroupsOf(id: string): string[] {
  return readdirSync('/sys/fs/cgroup')
    .map((h) => join('/sys/fs/cgroup', h, 'berth', id))
    .filter((p) => existsSync(p));
}

/** The host pid of the container's process (pid 1 inside) once it has exec'd `sleep`. */
function sleepPidOf(id: string): number | undefined {
  for (const dir of cgroupsOf(id)) {
    try {
      const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      const pid = pids.find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sleep');
      if (pid !== undefined) return Number(pid);
    } catch {}
  }
  return undefined;
}

function runsSleep(id: string): boolean {
  return sleepPidOf(id) !== undefined;
}

/** Whether `pid` still runs (a zombie nobody reaps does not: pid 1 here may not reap). */
function isRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Nothing a run made may remain. */
function assertCleanedUp(): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(root));
  assert.deepEqual(mounts, []);
  const run = join(root, 'run');
  for (const dir of ['containers', 'bundles']) {
    const path = join(run, dir);
    if (existsSync(path)) assert.deepEqual(readdirSync(path), [], `${dir} left behind`);
  }
  const runs = join(root, 'state', 'runs');
  if (existsSync(runs)) assert.deepEqual(readdirSync(runs), [], 'owner locks or records left behind');
  const meta = JSON.parse(readFileSync(join(root, 'state', 'snapshots', 'overlay', 'metadata.json'), 'utf8'));
  const active = Object.entries(meta.snapshots as Record<string, { kind: string }>).filter(
    ([, s]) => s.kind === 'active',
  );
  assert.deepEqual(active, []);
}

/** Runs berth run with --json so the container id is known; checks the clean-up. */
function run(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = berth(['run', ...args]);
  assertCleanedUp();
  return r;
}

/** Every container process a test started; killed after the tests, whatever happened. */
const started: { child: ChildProcess; sleepPid: number | undefined }[] = [];

/** Starts `berth run busybox sleep 300` and waits until the container runs sleep. */
async function startSleep(
  args: string[] = [],
): Promise<{ child: ChildProcess; id: string; sleepPid: number }> {
  const bundles = join(root, 'run', 'bundles');
  const known = new Set(existsSync(bundles) ? readdirSync(bundles) : []);
  const child = spawn(BERTH, ['run', ...args, 'busybox', 'sleep', '300'], { env, stdio: 'ignore' });
  const entry = { child, sleepPid: undefined as number | undefined };
  started.push(entry);
  for (let i = 0; i < 800; i++) {
    const id = (existsSync(bundles) ? readdirSync(bundles) : []).find((b) => !known.has(b));
    const pid = id === undefined ? undefined : sleepPidOf(id);
    if (id !== undefined && pid !== undefined) {
      entry.sleepPid = pid;
      return { child, id, sleepPid: pid };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the container never ran sleep');
}

describe('berth run', () => {
  after(() => {
    for (const { child, sleepPid } of started) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (sleepPid !== undefined && isRunning(sleepPid)) process.kill(sleepPid, 'SIGKILL');
    }
  });
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-run-'));
    env = { ...process.env, BERTH_STATE_DIR: join(root, 'state'), BERTH_RUN_DIR: join(root, 'run') };
  });
  after(async () => {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const target = line.split(' ')[4];
      if (target?.startsWith(root)) spawnSync('umount', ['-l', target]);
    }
    await rm(root, { recursive: true, force: true });
    removeEmptyCgroups('berth');
  });

  it('runs busybox echo hello (busybox is built locally on first use)', () => {
    const r = run(['busybox', 'echo', 'hello']);
    assert.equal(r.stdout, 'hello\n', r.stderr);
    assert.equal(r.status, 0);
  });

  it("returns the process's exit status, 127 for a missing program, 126 for one that cannot run", () => {
    assert.equal(run(['busybox', 'sh', '-c', 'exit 3']).status, 3);
    const missing = run(['busybox', 'no-such-program']);
    assert.equal(missing.status, 127);
    assert.match(missing.stderr, /no-such-program.*not found/);
    assert.equal(run(['busybox', '/etc/passwd']).status, 126);
  });

  it('applies -e, -w, -u, --hostname and the image Cmd', () => {
    const r = run([
      '-e',
      'A=1',
      '-w',
      '/tmp',
      '--hostname',
      'h1',
      'busybox',
      'sh',
      '-c',
      'echo $A $PWD $(hostname) $HOME',
    ]);
    assert.equal(r.stdout, '1 /tmp h1 /root\n', r.stderr);
    assert.equal(run(['-u', 'nobody', 'busybox', 'id', '-u']).stdout, '65534\n');
    assert.equal(run(['-u', '1234:5678', 'busybox', 'id']).stdout, 'uid=1234 gid=5678\n');
    const unknown = run(['-u', 'nosuchuser', 'busybox', 'id']);
    assert.equal(unknown.status, 125);
    assert.match(unknown.stderr, /unable to find user 'nosuchuser'/);
    // busybox's Cmd is sh, which reads the script from stdin with -i.
    const sh = spawnSync(BERTH, ['run', '-i', 'busybox'], {
      env,
      input: 'echo from-cmd\n',
      encoding: 'utf8',
    });
    assert.equal(sh.stdout, 'from-cmd\n', sh.stderr);
    assertCleanedUp();
    assert.equal(run(['--entrypoint', 'echo', 'busybox', 'x', 'y']).stdout, 'x y\n');
  });

  it('gives the process pid 1 and its own network namespace with only lo, or the host one', () => {
    assert.equal(run(['busybox', 'sh', '-c', 'echo $$']).stdout, '1\n');
    const none = run(['busybox', 'cat', '/proc/net/dev']).stdout;
    const names = none
      .split('\n')
      .slice(2)
      .filter(Boolean)
      .map((l) => l.split(':')[0]!.trim());
    assert.deepEqual(names, ['lo']);
    assert.match(run(['busybox', 'ip', 'link', 'show', 'lo']).stdout, /<LOOPBACK,UP/);
    const host = run(['--network', 'host', 'busybox', 'cat', '/proc/net/dev']).stdout;
    const hostNames = readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).filter(Boolean);
    assert.equal(host.split('\n').slice(2).filter(Boolean).length, hostNames.length);
  });

  it('fails clearly with 125 for an image that is not there', () => {
    const never = run(['--pull', 'never', 'nosuchimage']);
    assert.equal(never.status, 125);
    assert.match(never.stderr, /nosuchimage/);
    const refused = run(['--timeout', '5', 'localhost:1/nope']);
    assert.equal(refused.status, 125);
    assert.match(refused.stderr, /localhost:1/);
    const noCommand = run(['--entrypoint', '', 'busybox']);
    assert.equal(noCommand.status, 125);
    assert.match(noCommand.stderr, /no command specified/);
  });

  it('stops the container on SIGTERM and cleans up', async () => {
    const child = spawn(BERTH, ['run', '--json', '--stop-timeout', '1', 'busybox', 'sleep', '100'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    // Wait until the container's sleep runs (its bundle exists and a process is in its cgroup).
    const bundles = join(root, 'run', 'bundles');
    for (let i = 0; i < 400; i++) {
      const ids = existsSync(bundles) ? readdirSync(bundles) : [];
      if (ids.length === 1 && runsSleep(ids[0]!)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const id = readdirSync(bundles)[0]!;
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 137, 'sleep as pid 1 ignores SIGTERM, so it is killed after the stop timeout');
    assert.equal(JSON.parse(stdout).id, id);
    assertCleanedUp();
    assert.deepEqual(cgroupsOf(id), []);
  });

  it('cleans up after a run killed with SIGKILL, killing its orphaned container', async () => {
    const { child, id, sleepPid } = await startSleep();
    child.kill('SIGKILL');
    await once(child, 'exit');
    // What a killed run leaves: the container runs on (its monitor reparented), and all it holds.
    const bundle = join(root, 'run', 'bundles', id);
    assert.ok(isRunning(sleepPid), 'the orphaned container still runs');
    assert.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(`${bundle}/rootfs `));
    assert.ok(existsSync(join(bundle, 'config.json')));
    assert.ok(existsSync(join(root, 'run', 'containers', id, 'state.json')));
    assert.notDeepEqual(cgroupsOf(id), []);
    assert.deepEqual(readdirSync(join(root, 'state', 'runs')).sort(), [`${id}.json`, `${id}.lock`]);
    const meta = readFileSync(join(root, 'state', 'snapshots', 'overlay', 'metadata.json'), 'utf8');
    assert.equal(JSON.parse(meta).snapshots[`run-${id}`]?.kind, 'active');

    const next = run(['busybox', 'true']);
    assert.equal(next.status, 0, next.stderr);
    assert.equal(next.stderr, '');
    assert.deepEqual(cgroupsOf(id), []);
    assert.equal(isRunning(sleepPid), false, 'the orphaned container was killed');
  });

  it('image prune also cleans up after a killed run, so rmi then frees its layers', async () => {
    const { child, id, sleepPid } = await startSleep();
    child.kill('SIGKILL');
    await once(child, 'exit');
    const prune = berth(['image', 'prune', '--json']);
    assert.equal(prune.status, 0, prune.stderr);
    assert.deepEqual(JSON.parse(prune.stdout).runsRecovered, [id]);
    assertCleanedUp();
    assert.deepEqual(cgroupsOf(id), []);
    assert.equal(isRunning(sleepPid), false, 'the orphaned container was killed');
    const rmi = berth(['rmi', 'busybox']);
    assert.equal(rmi.status, 0, rmi.stderr);
    const meta = readFileSync(join(root, 'state', 'snapshots', 'overlay', 'metadata.json'), 'utf8');
    assert.deepEqual(JSON.parse(meta).snapshots, {}, 'no unpacked layer is left');
    assert.deepEqual(readdirSync(join(root, 'state', 'snapshots', 'overlay', 'snapshots')), []);
  });

  it('leaves a run whose owner is alive alone while other runs start and end', async () => {
    const a = await startSleep(['--stop-timeout', '1']);
    const r = berth(['run', 'busybox', 'true']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(isRunning(a.sleepPid));
    assert.ok(
      readFileSync('/proc/self/mountinfo', 'utf8').includes(`${join(root, 'run', 'bundles', a.id)}/rootfs `),
    );
    assert.ok(existsSync(join(root, 'run', 'containers', a.id, 'state.json')));
    assert.deepEqual(readdirSync(join(root, 'state', 'runs')).sort(), [`${a.id}.json`, `${a.id}.lock`]);
    a.child.kill('SIGTERM');
    const [code] = await once(a.child, 'exit');
    assert.equal(code, 137);
    assertCleanedUp();
    assert.deepEqual(cgroupsOf(a.id), []);
  });

  it('rmi refuses to delete the image a running container uses; untagging another name is fine', async () => {
    const a = await startSleep(['--stop-timeout', '1']);
    const refused = berth(['rmi', 'busybox']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, new RegExp(`used by running container ${a.id.slice(0, 12)}`));
    assert.ok(berth(['images', '-q']).stdout.trim() !== '', 'the image is still there');
    assert.ok(isRunning(a.sleepPid));
    assert.equal(berth(['tag', 'busybox', 'extra:1']).status, 0);
    assert.equal(berth(['rmi', 'extra:1']).status, 0, 'untagging one of several names');
    a.child.kill('SIGTERM');
    await once(a.child, 'exit');
    assertCleanedUp();
    const removed = berth(['rmi', 'busybox']);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(berth(['images', '-q']).stdout, '');
  });
});
