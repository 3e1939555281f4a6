// Berth as containerd's runtime: the runc v2 shim calls berth-runtime (ctr's --runc-binary, the
// same BinaryName option Kubernetes' RuntimeClass selects), and the test checks what ctr sees.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { makeBusyboxOciArchive } from '../../fixtures/busybox-rootfs.ts';
import { type Containerd, startContainerd } from './containerd.ts';

// BERTH_TEST_CTR_RUNTIME=/usr/sbin/runc runs the same checks against runc, the reference peer.
const RUNTIME =
  process.env.BERTH_TEST_CTR_RUNTIME ?? fileURLToPath(new URL('../../../bin/berth-runtime', import.meta.url));
const IMAGE = 'docker.io/berth-test/busybox:latest';

describe('containerd with berth-runtime as the runc binary', () => {
  let containerd: Containerd;
  const ctr = (...args: string[]) => containerd.ctr(args);
  const runCmd = (id: string, flags: string[], cmd: string[]) =>
    ctr('run', '--rm', '--runc-binary', RUNTIME, ...flags, IMAGE, id, ...cmd);

  before(async () => {
    containerd = await startContainerd();
    const work = await mkdtemp(join(tmpdir(), 'berth-ctr-image-'));
    try {
      const archive = await makeBusyboxOciArchive(join(work, 'busybox-oci.tar'), work);
      const imported = await ctr('images', 'import', '--base-name', 'docker.io/berth-test/busybox', archive);
      assert.equal(imported.code, 0, imported.stderr);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
  after(async () => containerd?.stop());

  it('runs a task and returns its output and exit code', async () => {
    const ok = await runCmd('t-echo', [], ['echo', 'hello via containerd']);
    assert.equal(ok.stdout, 'hello via containerd\n', ok.stderr);
    assert.equal(ok.code, 0);
    const failed = await runCmd('t-exit', [], ['sh', '-c', 'exit 7']);
    assert.equal(failed.code, 7);
  });

  it('applies env and cwd', async () => {
    const r = await runCmd(
      't-env',
      ['--env', 'COLOR=teal', '--cwd', '/tmp'],
      ['sh', '-c', 'echo "$COLOR $(pwd)"'],
    );
    assert.equal(r.stdout, 'teal /tmp\n', r.stderr);
  });

  it('gives the task a terminal with --tty', async () => {
    // ctr insists on a terminal of its own for --tty: script(1) gives it one.
    const r = await containerd.ctrInTerminal([
      'run',
      '--rm',
      '--runc-binary',
      RUNTIME,
      '--tty',
      IMAGE,
      't-tty',
      'tty',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\/dev\/pts\/\d+/);
  });

  it('enforces --memory-limit', async () => {
    const r = await runCmd(
      't-oom',
      ['--memory-limit', String(32 << 20)],
      ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'],
    );
    assert.notEqual(r.stdout, 'survived\n');
    assert.equal(r.code, 137, `expected SIGKILL by the OOM killer, got ${r.code}`);
  });

  it('makes the rootfs read-only with --read-only', async () => {
    const r = await runCmd('t-ro', ['--read-only'], ['touch', '/x']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /read-only file system/i);
  });

  it('runs a detached task: exec, ps, pause/resume, kill, delete', async (t) => {
    const id = 't-detached';
    const started = await ctr('run', '-d', '--runc-binary', RUNTIME, IMAGE, id, 'sleep', '300');
    assert.equal(started.code, 0, started.stderr);
    t.after(async () => {
      await ctr('task', 'kill', '-s', 'SIGKILL', id);
      await ctr('task', 'delete', '-f', id);
      await ctr('container', 'delete', id);
    });
    const exec = await ctr('task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo exec-ok; exit 4');
    assert.equal(exec.stdout, 'exec-ok\n', exec.stderr);
    assert.equal(exec.code, 4);
    const ps = await ctr('task', 'ps', id);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^\d+/m);

    assert.equal((await ctr('task', 'pause', id)).code, 0);
    assert.match((await ctr('task', 'ls')).stdout, new RegExp(`${id}\\s+\\d+\\s+PAUSED`));
    assert.equal((await ctr('task', 'resume', id)).code, 0);
    assert.match((await ctr('task', 'ls')).stdout, new RegExp(`${id}\\s+\\d+\\s+RUNNING`));

    assert.equal((await ctr('task', 'kill', '-s', 'SIGKILL', id)).code, 0);
    for (let i = 0; i < 50 && !/STOPPED/.test((await ctr('task', 'ls')).stdout); i++) await sleep(100);
    assert.match((await ctr('task', 'ls')).stdout, new RegExp(`${id}\\s+\\d+\\s+STOPPED`));
    const deleted = await ctr('task', 'delete', id);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.doesNotMatch((await ctr('task', 'ls')).stdout, new RegExp(id));
  });
});
