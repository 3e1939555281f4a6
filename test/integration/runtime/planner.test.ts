// The resident planner behind berth-runtime's front-end (docs/design/runtime-planner.md): started
// on demand, never needed for correctness, replaced when stale, refused when its socket is not
// private, and serving several callers at once. Each test has its own socket and stops its planner.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { alive, processesWith } from '../../fixtures/processes.ts';
import {
  BERTH_RUNTIME,
  createFixture,
  makeBundle,
  mountsUnder,
  processesMatching,
  type RuntimeFixture,
  stopPlanner,
} from './fixture.ts';

interface Call {
  status: number | null;
  stdout: string;
  stderr: string;
}

let fx: RuntimeFixture;
let planners = 0;

/** A private directory for one planner: its socket, pid file, log and the runtime's --root. */
function plannerDir(t: TestContext): string {
  const dir = join(fx.dir, `planner-${++planners}`);
  mkdirSync(dir);
  t.after(() => {
    for (const id of list(dir)) call(dir, 'off', 'delete', '--force', id);
    stopPlanner(dir);
  });
  return dir;
}

function env(dir: string, mode: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BERTH_RUNTIME_PLANNER: mode,
    BERTH_RUNTIME_PLANNER_SOCKET: join(dir, 'planner.sock'),
    ...extra,
  };
}

function call(dir: string, mode: string, ...args: string[]): Call {
  const r = spawnSync(BERTH_RUNTIME, ['--root', join(dir, 'root'), ...args], {
    env: env(dir, mode),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let outputs = 0;

/** A call that runs while the test does something else. Output goes to files: a container it
 * creates inherits them and outlives the call, so pipes would never close (see fixture.ts). */
function callAsync(dir: string, mode: string, args: string[], extra?: Record<string, string>): Promise<Call> {
  const base = join(dir, `out-${++outputs}`);
  const out = openSync(`${base}.stdout`, 'w');
  const err = openSync(`${base}.stderr`, 'w');
  const child = spawn(BERTH_RUNTIME, ['--root', join(dir, 'root'), ...args], {
    env: env(dir, mode, extra),
    stdio: ['ignore', out, err],
  });
  closeSync(out);
  closeSync(err);
  return new Promise((resolve) =>
    child.on('exit', (status) =>
      resolve({
        status,
        stdout: readFileSync(`${base}.stdout`, 'utf8'),
        stderr: readFileSync(`${base}.stderr`, 'utf8'),
      }),
    ),
  );
}

function list(dir: string): string[] {
  const r = call(dir, 'off', 'list', '-q');
  return r.stdout.split('\n').filter(Boolean);
}

function plannerPid(dir: string): number | undefined {
  try {
    return Number(readFileSync(join(dir, 'planner.sock.pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Waits (without a deadline assertion) until `ready` holds; fails after 10 s of nothing. */
async function until(what: string, ready: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (ready()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Planner processes started for `socket` (found by the socket in their environment). */
function plannersServing(socket: string): number[] {
  return processesWith('environ', `BERTH_RUNTIME_PLANNER_SOCKET=${socket}\0`);
}

describe('berth-runtime planner', () => {
  let bundle: string;
  before(() => {
    fx = createFixture();
    bundle = makeBundle(fx, ['sh', '-c', 'echo hello; exit 3']);
  });
  after(() => fx.cleanup());

  it('serves only callers in its own pid and mount namespaces', async (t) => {
    const dir = plannerDir(t);
    assert.equal(call(dir, 'auto', 'list', '-q').status, 0);
    await until('the planner to listen', () => existsSync(join(dir, 'planner.sock')));
    assert.equal(call(dir, 'require', 'list', '-q').status, 0, 'the planner serves a caller beside it');
    // A caller in another pid namespace would report pids the planner misreads (a container's
    // pid 1 taken for the host's init): the planner declines, and the front-end runs the call.
    const inNamespace = (mode: string) =>
      spawnSync(
        'unshare',
        [
          '--pid',
          '--fork',
          '--mount',
          '--mount-proc',
          BERTH_RUNTIME,
          '--root',
          join(dir, 'root'),
          'list',
          '-q',
        ],
        { env: env(dir, mode), encoding: 'utf8', timeout: 30_000 },
      );
    const required = inNamespace('require');
    assert.notEqual(required.status, 0, 'with the planner required, the declined call fails');
    assert.match(required.stderr, /did not answer/);
    const auto = inNamespace('auto');
    assert.equal(auto.status, 0, auto.stderr);
  });

  it('works without a planner and starts one for the next calls', async (t) => {
    const dir = plannerDir(t);
    const first = call(dir, 'auto', 'run', '--bundle', bundle, 'first');
    assert.deepEqual([first.status, first.stdout, first.stderr], [3, 'hello\n', '']);
    await until('the planner to listen', () => existsSync(join(dir, 'planner.sock')));
    const pid = plannerPid(dir);
    const second = call(dir, 'require', 'run', '--bundle', bundle, 'second');
    assert.deepEqual([second.status, second.stdout, second.stderr], [3, 'hello\n', '']);
    assert.equal(plannerPid(dir), pid, 'the same planner served the call');
    assert.deepEqual(list(dir), []);
  });

  it('starts exactly one planner when many calls find none', async (t) => {
    const dir = plannerDir(t);
    const calls = Array.from({ length: 6 }, () => callAsync(dir, 'auto', ['--version']));
    for (const r of await Promise.all(calls)) assert.equal(r.status, 0);
    await until('the planner to listen', () => existsSync(join(dir, 'planner.sock')));
    for (const r of await Promise.all(Array.from({ length: 6 }, () => callAsync(dir, 'auto', ['--version']))))
      assert.equal(r.status, 0);
    assert.deepEqual(plannersServing(join(dir, 'planner.sock')), [plannerPid(dir)]);
  });

  it('answers verbs itself with the same output and errors as the CLI', (t) => {
    const dir = plannerDir(t);
    for (const args of [['--version'], ['state', 'nope'], ['features'], ['list', '--format', 'json']]) {
      const slow = call(dir, 'off', ...args);
      const fast = call(dir, 'require', ...args);
      assert.deepEqual(fast, slow, `berth-runtime ${args.join(' ')}`);
    }
  });

  it('deletes the container and reports an error when the planner dies mid-call', async (t) => {
    const dir = plannerDir(t);
    const sleeper = makeBundle(fx, ['sleep', '1']);
    const running = callAsync(dir, 'require', ['run', '--bundle', sleeper, 'orphan']);
    await until('the container to run', () => call(dir, 'off', 'state', 'orphan').stdout.includes('running'));
    const pid = plannerPid(dir);
    assert.ok(pid);
    process.kill(pid, 'SIGKILL');
    const r = await running;
    assert.equal(r.status, 1);
    assert.match(r.stderr, /planner went away.*the container was deleted/);
    assert.deepEqual(list(dir), []);
    assert.deepEqual(mountsUnder(sleeper), []);
    assert.deepEqual(processesMatching(sleeper), []);
  });

  it('replaces a planner whose sources changed', async (t) => {
    const dir = plannerDir(t);
    const watched = join(dir, 'sources');
    mkdirSync(watched);
    writeFileSync(join(watched, 'verb.ts'), 'export {};\n');
    const extra = { BERTH_RUNTIME_PLANNER_WATCH: watched };
    await callAsync(dir, 'auto', ['--version'], extra);
    await until('the planner to listen', () => existsSync(join(dir, 'planner.sock')));
    const old = plannerPid(dir);
    assert.ok(old);
    writeFileSync(join(watched, 'verb.ts'), 'export const upgraded = true;\n');
    // The old planner declines (the call takes the slow path), retires, and a new one starts.
    for (let i = 0; i < 2; i++) {
      const r = await callAsync(dir, 'auto', ['--version'], extra);
      assert.equal(r.status, 0);
    }
    await until('the old planner to exit', () => !alive(old));
    await until('a new planner to listen', () => (plannerPid(dir) ?? old) !== old);
    const r = await callAsync(dir, 'require', ['--version'], extra);
    assert.match(r.stdout, /berth-runtime version/);
  });

  for (const [what, edit] of [
    ['mode 0666', (path: string) => chmodSync(path, 0o666)],
    ['another owner', (path: string) => chownSync(path, 65534, 65534)],
  ] as const) {
    it(`refuses a socket with ${what}`, async (t) => {
      const dir = plannerDir(t);
      const path = join(dir, 'planner.sock');
      let connections = 0;
      const impostor = createServer((c) => {
        connections++;
        c.destroy();
      });
      await new Promise<void>((r) => impostor.listen(path, r));
      t.after(() => impostor.close());
      chmodSync(path, 0o600);
      edit(path);
      const r = call(dir, 'require', '--version');
      assert.equal(connections, 0, 'the front-end never connected to it');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /berth-runtime version/);
    });
  }

  it('serves concurrent creates', async (t) => {
    const dir = plannerDir(t);
    const sleeper = makeBundle(fx, ['sleep', '100']);
    assert.equal(call(dir, 'require', '--version').status, 0);
    const ids = Array.from({ length: 6 }, (_, i) => `c${i}`);
    const results = await Promise.all(
      ids.map((id) => callAsync(dir, 'require', ['create', '--bundle', sleeper, id])),
    );
    for (const r of results) assert.deepEqual([r.status, r.stderr], [0, '']);
    assert.deepEqual(list(dir), ids);
    for (const id of ids) assert.match(call(dir, 'require', 'state', id).stdout, /"status": "created"/);
    const deleted = await Promise.all(ids.map((id) => callAsync(dir, 'require', ['delete', '--force', id])));
    for (const r of deleted) assert.deepEqual([r.status, r.stderr], [0, '']);
    assert.deepEqual(list(dir), []);
    assert.deepEqual(processesMatching(sleeper), []);
  });
});
