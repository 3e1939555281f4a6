import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createFixture, makeBundle, type RuntimeFixture, runtime } from './fixture.ts';

function state(fx: RuntimeFixture, id: string): { status: string; pid: number } {
  const r = runtime(fx.root, 'state', id);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'condition not reached within 5 s');
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

describe('berth-runtime lifecycle', () => {
  let fx: RuntimeFixture;
  before(() => {
    fx = createFixture();
  });
  after(() => fx.cleanup());

  it('goes create → created → start → running → kill → stopped → delete', async () => {
    const bundle = makeBundle(fx, ['sleep', '1000']);
    const pidFile = join(fx.dir, 'life.pid');
    const created = runtime(fx.root, 'create', '--bundle', bundle, '--pid-file', pidFile, 'life');
    assert.equal(created.status, 0, created.stderr);
    const s1 = state(fx, 'life');
    assert.equal(s1.status, 'created');
    assert.equal(readFileSync(pidFile, 'utf8'), String(s1.pid));
    assert.doesNotMatch(cmdline(s1.pid), /sleep/, 'the process ran before start');

    assert.equal(runtime(fx.root, 'start', 'life').status, 0);
    assert.equal(state(fx, 'life').status, 'running');
    await waitFor(() => cmdline(s1.pid).startsWith('sleep 1000'));

    const again = runtime(fx.root, 'start', 'life');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /cannot start container 'life': it is running/);
    const busy = runtime(fx.root, 'delete', 'life');
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /cannot delete container 'life': it is running/);

    assert.equal(runtime(fx.root, 'kill', 'life', 'KILL').status, 0);
    await waitFor(() => state(fx, 'life').status === 'stopped');
    assert.equal(state(fx, 'life').pid, 0);
    assert.match(runtime(fx.root, 'kill', 'life', '9').stderr, /it is stopped/);

    assert.equal(runtime(fx.root, 'delete', 'life').status, 0);
    assert.equal(existsSync(join(fx.root, 'life')), false);
    assert.match(runtime(fx.root, 'state', 'life').stderr, /container 'life' does not exist/);
  });

  it('refuses a duplicate id and leaves the first container alone', () => {
    const bundle = makeBundle(fx, ['sleep', '1000']);
    assert.equal(runtime(fx.root, 'create', '--bundle', bundle, 'dup').status, 0);
    const pid = state(fx, 'dup').pid;
    const r = runtime(fx.root, 'create', '--bundle', bundle, 'dup');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container 'dup' already exists/);
    assert.equal(state(fx, 'dup').pid, pid);
    assert.equal(state(fx, 'dup').status, 'created');
    assert.equal(
      runtime(fx.root, 'delete', 'dup').status,
      0,
      'a created container is deleted without --force',
    );
    assert.equal(cmdline(pid), '');
  });

  it('deletes a running container with --force, killing it', async () => {
    const bundle = makeBundle(fx, ['sleep', '1000']);
    assert.equal(runtime(fx.root, 'run', '--detach', '--bundle', bundle, 'forced').status, 0);
    const { pid, status } = state(fx, 'forced');
    assert.equal(status, 'running');
    assert.equal(runtime(fx.root, 'delete', '--force', 'forced').status, 0);
    await waitFor(() => !cmdline(pid).startsWith('sleep'));
    assert.equal(existsSync(join(fx.root, 'forced')), false);
  });

  it('reports unknown ids and bad signals as errors', () => {
    for (const verb of ['state', 'start', 'delete']) {
      const r = runtime(fx.root, verb, 'ghost');
      assert.equal(r.status, 1);
      assert.match(r.stderr, /container 'ghost' does not exist/);
    }
    // runc's contract, which containerd's cleanup relies on: delete --force of nothing succeeds.
    assert.equal(runtime(fx.root, 'delete', '--force', 'ghost').status, 0);
    const bundle = makeBundle(fx, ['sleep', '1000']);
    assert.equal(runtime(fx.root, 'create', '--bundle', bundle, 'sig').status, 0);
    const r = runtime(fx.root, 'kill', 'sig', 'SIGNOPE');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown signal 'SIGNOPE'/);
    assert.equal(runtime(fx.root, 'delete', '--force', 'sig').status, 0);
  });

  it('lists containers as a table, as JSON and quietly', () => {
    const bundle = makeBundle(fx, ['sleep', '1000']);
    assert.equal(runtime(fx.root, 'create', '--bundle', bundle, 'listed').status, 0);
    const json = JSON.parse(runtime(fx.root, 'list', '--format', 'json').stdout);
    assert.deepEqual(
      json.map((s: { id: string; status: string }) => [s.id, s.status]),
      [['listed', 'created']],
    );
    assert.equal(runtime(fx.root, 'list', '-q').stdout, 'listed\n');
    assert.match(
      runtime(fx.root, 'list').stdout,
      /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\nlisted\s+\d+\s+created/,
    );
    assert.equal(runtime(fx.root, 'delete', 'listed').status, 0);
  });

  it('execs into a running container, in its namespaces, with exit status', () => {
    const bundle = makeBundle(fx, ['sleep', '1000'], (spec) => {
      spec.hostname = 'inside';
    });
    assert.equal(runtime(fx.root, 'run', '-d', '--bundle', bundle, 'ex').status, 0);
    const r = runtime(
      fx.root,
      'exec',
      '--env',
      'X=1',
      'ex',
      'sh',
      '-c',
      'hostname; echo $X; ps -o pid,comm | grep -c sleep',
    );
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'inside\n1\n1\n');
    assert.equal(runtime(fx.root, 'exec', 'ex', 'sh', '-c', 'exit 5').status, 5);
    const ps = JSON.parse(runtime(fx.root, 'ps', '--format', 'json', 'ex').stdout);
    assert.deepEqual(ps, [state(fx, 'ex').pid]);
    assert.equal(runtime(fx.root, 'delete', '-f', 'ex').status, 0);
  });

  it("is reachable as 'berth runtime', with runc flags after --", () => {
    const bundle = makeBundle(fx, ['sleep', '1000']);
    assert.equal(runtime(fx.root, 'create', '--bundle', bundle, 'via-berth').status, 0);
    const berth = fileURLToPath(new URL('../../../bin/berth', import.meta.url));
    const r = spawnSync(berth, ['runtime', '--', '--root', fx.root, 'list', '-q'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'via-berth\n');
    assert.equal(runtime(fx.root, 'delete', 'via-berth').status, 0);
  });

  it('writes errors to --log as runc-style JSON lines', () => {
    const log = join(fx.dir, 'log.json');
    const r = runtime(fx.root, '--log', log, '--log-format', 'json', 'start', 'ghost');
    assert.equal(r.status, 1);
    const line = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1)!);
    assert.equal(line.level, 'error');
    assert.match(line.msg, /container 'ghost' does not exist/);
    assert.ok(!Number.isNaN(Date.parse(line.time)));
  });
});
