// Berth as a Docker runtime: a private dockerd (Debian's docker.io) runs containers with
// `--runtime berth`, and the test checks what a Docker user sees.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeBusyboxTarball } from '../../fixtures/busybox-rootfs.ts';
import { type Dockerd, startDockerd } from './docker.ts';

// BERTH_TEST_DOCKER_RUNTIME=/usr/sbin/runc runs the same checks against runc, the reference peer.
const RUNTIME =
  process.env.BERTH_TEST_DOCKER_RUNTIME ??
  fileURLToPath(new URL('../../../bin/berth-runtime', import.meta.url));
const IMAGE = 'berth-test/busybox:latest';

describe('docker with --runtime berth', () => {
  let dockerd: Dockerd;
  const docker = (...args: string[]) => dockerd.docker(args);
  const run = (...args: string[]) =>
    docker('run', '--rm', '--runtime', 'berth', '--network', 'none', ...args);
  /** `docker run --name NAME` with berth and no network (kept after exit); removed when the test ends. */
  const runNamed = async (t: TestContext, name: string, ...args: string[]) => {
    const r = await docker('run', '--name', name, '--runtime', 'berth', '--network', 'none', ...args);
    t.after(() => docker('rm', '-f', name));
    return r;
  };
  const inspect = async (name: string, format: string) =>
    (await docker('inspect', '-f', format, name)).stdout.trim();

  before(async () => {
    dockerd = await startDockerd({ berth: RUNTIME });
    const work = await mkdtemp(join(tmpdir(), 'berth-docker-image-'));
    try {
      const tar = await makeBusyboxTarball(join(work, 'busybox.tar'), work);
      const imported = await docker('import', '--change', 'CMD ["sh"]', tar, IMAGE);
      assert.equal(imported.code, 0, imported.stderr);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
  after(async () => dockerd?.stop());

  it('runs a command and returns its output', async () => {
    const r = await run(IMAGE, 'echo', 'hello from berth');
    assert.equal(r.stdout, 'hello from berth\n');
    assert.equal(r.code, 0, r.stderr);
  });

  it("returns the process's exit code", async () => {
    assert.equal((await run(IMAGE, 'sh', '-c', 'exit 3')).code, 3);
    assert.equal((await run(IMAGE, 'false')).code, 1);
  });

  it('reports a missing executable as docker does (exit 127)', async () => {
    const r = await run(IMAGE, '/no/such/program');
    assert.equal(r.code, 127);
    assert.match(r.stderr, /no such file or directory/i);
  });

  it('passes env, workdir and hostname', async () => {
    const r = await run(
      '-e',
      'GREETING=hi there',
      '-w',
      '/tmp',
      '--hostname',
      'boxy',
      IMAGE,
      'sh',
      '-c',
      'echo "$GREETING|$(pwd)|$(hostname)|$PATH"',
    );
    assert.equal(
      r.stdout,
      'hi there|/tmp|boxy|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n',
      r.stderr,
    );
  });

  it('runs as the requested user with supplementary groups', async () => {
    assert.equal(
      (await run('-u', '1000:1000', IMAGE, 'id')).stdout,
      'uid=1000(user) gid=1000(user) groups=1000(user)\n',
    );
    const named = await run('-u', 'user', IMAGE, 'id', '-G');
    assert.equal(named.stdout, '1000 2000\n', named.stderr);
  });

  it('gives the process a terminal with -t', async () => {
    const r = await run('-t', IMAGE, 'sh', '-c', 'tty; stty size');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\/dev\/pts\/\d+\r\n/);
  });

  it('runs docker exec in a running container', async (t) => {
    const name = 'exec-target';
    const started = await runNamed(t, name, '-d', IMAGE, 'sleep', '300');
    assert.equal(started.code, 0, started.stderr);
    assert.equal((await docker('exec', name, 'echo', 'inside')).stdout, 'inside\n');
    assert.equal(
      (await docker('exec', '-u', '1000', '-w', '/tmp', name, 'sh', '-c', 'id -u; pwd')).stdout,
      '1000\n/tmp\n',
    );
    assert.equal((await docker('exec', '-e', 'X=1', name, 'sh', '-c', 'echo $X')).stdout, '1\n');
    assert.equal((await docker('exec', name, 'sh', '-c', 'exit 5')).code, 5);
    const ps = await docker('exec', name, 'ps', '-o', 'pid,comm');
    assert.match(ps.stdout, /^\s*1\s+sleep$/m, 'the container has its own pid namespace with sleep as pid 1');
  });

  it('stops with SIGTERM, then SIGKILL after the grace period', async (t) => {
    const name = 'stop-target';
    // pid 1 ignores SIGTERM unless it handles it: sleep as pid 1 must be killed after the timeout.
    await runNamed(t, name, '-d', IMAGE, 'sleep', '300');
    const stopped = await docker('stop', '-t', '1', name);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(await inspect(name, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');

    const graceful = 'graceful-target';
    await runNamed(
      t,
      graceful,
      '-d',
      IMAGE,
      'sh',
      '-c',
      "trap 'exit 0' TERM; while true; do sleep 0.1; done",
    );
    await docker('stop', '-t', '30', graceful);
    assert.equal(await inspect(graceful, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0');
  });

  it('kills with the requested signal', async (t) => {
    const name = 'kill-target';
    await runNamed(t, name, '-d', IMAGE, 'sleep', '300');
    assert.equal((await docker('kill', '-s', 'KILL', name)).code, 0);
    assert.equal(await inspect(name, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
  });

  it('enforces --memory: a process that outgrows it is OOM-killed', async (t) => {
    const name = 'oom-target';
    const r = await runNamed(
      t,
      name,
      '--memory',
      '32m',
      '--memory-swap',
      '32m',
      IMAGE,
      'sh',
      '-c',
      'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived',
    );
    assert.equal(r.code, 137, `expected an OOM kill, got ${r.code}: ${r.stdout}${r.stderr}`);
    assert.equal(await inspect(name, '{{.State.OOMKilled}}'), 'true');
  });

  it('enforces --pids-limit: forks beyond it fail', async () => {
    const forks = 'for i in $(seq 12); do sleep 2 & done; echo started all; wait';
    const limited = await run('--pids-limit', '8', IMAGE, 'sh', '-c', forks);
    assert.notEqual(limited.code, 0, 'the shell fails once a fork is refused');
    assert.match(limited.stderr, /can't fork|resource temporarily unavailable/i);
    assert.doesNotMatch(limited.stdout, /started all/);
    const unlimited = await run(IMAGE, 'sh', '-c', forks);
    assert.equal(unlimited.stdout, 'started all\n', 'without the limit every fork succeeds');
  });

  it('makes the root filesystem read-only with --read-only', async () => {
    const r = await run('--read-only', IMAGE, 'touch', '/newfile');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /read-only file system/i);
    assert.equal((await run(IMAGE, 'touch', '/newfile')).code, 0, 'writable without --read-only');
  });

  it('restarts a container (docker restart and --restart on-failure)', async (t) => {
    const name = 'restart-target';
    await runNamed(t, name, '-d', IMAGE, 'sleep', '300');
    const firstPid = await inspect(name, '{{.State.Pid}}');
    assert.equal((await docker('restart', '-t', '0', name)).code, 0);
    assert.equal(await inspect(name, '{{.State.Running}}'), 'true');
    assert.notEqual(await inspect(name, '{{.State.Pid}}'), firstPid);

    const failing = 'on-failure-target';
    await runNamed(t, failing, '-d', '--restart', 'on-failure:2', IMAGE, 'sh', '-c', 'exit 1');
    await docker('wait', failing);
    for (
      let i = 0;
      i < 100 && (await inspect(failing, '{{.RestartCount}} {{.State.Running}}')) !== '2 false';
      i++
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(
      await inspect(failing, '{{.RestartCount}} {{.State.Running}} {{.State.ExitCode}}'),
      '2 false 1',
    );
  });
});
