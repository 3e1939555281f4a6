// e2e: a berthd killed with SIGKILL (or a CLI killed during its own pull) loses nothing. The
// real `bin/berth`, the real `bin/berthd` on a temp socket with a temp state dir, and a real
// docker-registry on loopback behind a throttling proxy, so the big layer is still coming when
// the kill lands. After the kill: one clear error, no half-written blob visible, no image
// recorded, the dead process's lock files taken over, and the next pull resumes the partial
// layer with a Range request instead of fetching its bytes again.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readlink, stat, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Cleanup, tempDir } from '../image/registry-harness.ts';
import {
  blobsAreComplete,
  type SlowBigImage,
  slowBigImage,
  startBerthd,
  storedImages,
  type ThrottlingProxy,
  untilPartial,
} from './daemon-harness.ts';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));

/** The big layer (`bigLayer`) is still downloading when a kill lands. */
interface Setup extends SlowBigImage {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** The state dir of the CLI and of the daemon. */
  stateDir: string;
  /** Runs `berth ARGS` to its end without blocking this process (the proxy runs here). */
  berth(args: string[], env?: NodeJS.ProcessEnv): Promise<Finished>;
}

interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A registry holding an image with an 8 MiB layer, reached through a ~2 MB/s proxy. */
async function setup(t: Cleanup, prefix: string): Promise<Setup> {
  const dir = await tempDir(t, prefix);
  const stateDir = join(dir, 'run', 'state');
  const env = {
    ...process.env,
    BERTH_CLI_HOST: 'off',
    BERTH_STATE_DIR: stateDir,
    BERTH_RUN_DIR: join(dir, 'run'),
    BERTH_CONFIG_DIR: join(dir, 'config'),
    BERTH_HOST: `unix://${join(dir, 'run', 'berthd.sock')}`,
  };
  const big = await slowBigImage(t, dir);
  return { dir, env, stateDir, ...big, berth: (args, e = env) => runCli(t, args, e) };
}

async function runCli(t: Cleanup, args: string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  const { cli, stderr } = startCli(t, args, env);
  let stdout = '';
  cli.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  const [status] = await once(cli, 'close');
  return { status, stdout, stderr: stderr() };
}

/** Starts `berth ARGS`, killed when the test ends if it still runs; its stderr is collected. */
function startCli(
  t: Cleanup,
  args: string[],
  env: NodeJS.ProcessEnv,
): { cli: ChildProcess; stderr(): string } {
  const cli = spawn(BERTH, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  cli.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  t.after(() => {
    if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
  });
  return { cli, stderr: () => stderr };
}

function partialPath(stateDir: string, digest: string): string {
  return join(stateDir, 'content', 'ingest', `${digest.slice(7)}.partial`);
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Lock files under the state dir whose holder pid is `pid`. */
async function locksHeldBy(stateDir: string, pid: number): Promise<string[]> {
  const held: string[] = [];
  const entries = await readdir(stateDir, { recursive: true });
  for (const entry of entries.filter((e) => e.endsWith('.lock'))) {
    // A lock is a symlink whose target is `<pid> <boot id> <start time>` (src/core/file-lock.ts).
    const text = await readlink(join(stateDir, entry)).catch(() => '');
    if (Number.parseInt(text, 10) === pid) held.push(entry);
  }
  return held;
}

/** Rewrites a lock's pid, keeping the rest (the dead holder's boot id and start time). */
async function reusePid(path: string, pid: number): Promise<void> {
  const [, ...rest] = (await readlink(path)).split(' ');
  await unlink(path);
  await symlink([String(pid), ...rest].join(' '), path);
}

/** What a resumed pull must show: the big layer asked from where the partial ends, never from 0. */
function assertResumed(proxy: ThrottlingProxy, bigLayer: string, partialSize: number): void {
  const ranges = proxy.requests.filter((r) => r.path.endsWith(bigLayer)).map((r) => r.range);
  assert.deepEqual(ranges, [`bytes=${partialSize}-`], 'the big layer is resumed after the bytes kept');
}

/** The state a killed pull leaves: nothing half-visible, no image, the partial kept to resume. */
async function assertNothingHalfVisible(s: Setup): Promise<number> {
  assert.deepEqual(await storedImages(s.stateDir), []);
  assert.ok(!(await blobsAreComplete(s.stateDir)).includes(s.bigLayer), 'the big layer is not in the store');
  return (await stat(partialPath(s.stateDir, s.bigLayer))).size;
}

// A guard, not a measure: a CLI that hangs once its daemon is gone fails the suite instead of
// blocking CI (the whole suite takes ~25 s here).
describe('a killed daemon or pull loses nothing', { timeout: 300_000 }, () => {
  it('berthd SIGKILLed mid-pull: one clear error; a new berthd on the same socket resumes the layer', async (t) => {
    const s = await setup(t, 'killed-daemon');
    const daemon = await startBerthd(t, join(s.dir, 'run'));
    const { cli, stderr } = startCli(t, ['pull', s.ref], s.env);
    await untilPartial(partialPath(s.stateDir, s.bigLayer), 1024 * 1024, cli);
    const cliExited = once(cli, 'exit');
    await kill(daemon.process);
    const [code] = await cliExited;

    assert.equal(code, 1);
    assert.match(
      stderr(),
      /^(?:.*\n)*berth: pull 127\.0\.0\.1:\d+\/big\/app:v1 through berthd: berthd went away before it finished \(it stopped or was killed\)\nhint: .*kept: start berthd again.*\n$/,
    );
    assert.doesNotMatch(stderr(), /\n\s+at |Internal|ECONNRESET|socket hang up/);
    assert.equal(stderr().match(/^berth: /gm)?.length, 1, 'one error');
    const partialSize = await assertNothingHalfVisible(s);
    assert.ok(partialSize >= 1024 * 1024, `the partial layer (${partialSize} bytes) is kept`);
    const pid = daemon.process.pid;
    assert.ok(pid);
    assert.notDeepEqual(await locksHeldBy(s.stateDir, pid), [], 'the dead daemon left its locks');

    // The dead daemon's socket file is still there; a new daemon replaces it.
    const again = await startBerthd(t, join(s.dir, 'run'));
    s.proxy.requests.length = 0;
    const pull = await s.berth(['--debug', 'pull', s.ref]);
    assert.equal(pull.status, 0, pull.stderr);
    assert.match(pull.stderr, /pulling through berthd/);
    assert.deepEqual(await storedImages(s.stateDir), [s.ref]);
    assert.ok((await blobsAreComplete(s.stateDir)).includes(s.bigLayer));
    assertResumed(s.proxy, s.bigLayer, partialSize);
    await again.waitForLog(/images\/pull","status":200,"ms"/);
    assert.deepEqual(await locksHeldBy(s.stateDir, pid), [], "the dead daemon's locks were taken over");
    assert.deepEqual(await readdir(join(s.stateDir, 'content', 'ingest')), [], 'no leftovers in ingest/');
  });

  it('a CLI SIGKILLed during its in-process pull, its pid then reused: the next pull resumes the layer', async (t) => {
    const s = await setup(t, 'killed-cli');
    const { cli } = startCli(t, ['pull', '--no-daemon', s.ref], s.env);
    await untilPartial(partialPath(s.stateDir, s.bigLayer), 1024 * 1024, cli);
    await kill(cli);

    const partialSize = await assertNothingHalfVisible(s);
    const pid = cli.pid;
    assert.ok(pid);
    const left = await locksHeldBy(s.stateDir, pid);
    assert.notDeepEqual(left, [], 'the killed CLI left its locks');
    // Its pid is reused by a live process (here this test's): the lock still names a dead holder.
    for (const lock of left) await reusePid(join(s.stateDir, lock), process.pid);
    s.proxy.requests.length = 0;
    const pull = await s.berth(['pull', '--no-daemon', s.ref]);
    assert.equal(pull.status, 0, pull.stderr);
    assert.match(pull.stdout, /^Pulled /);
    assert.deepEqual(await storedImages(s.stateDir), [s.ref]);
    assert.ok((await blobsAreComplete(s.stateDir)).includes(s.bigLayer));
    assertResumed(s.proxy, s.bigLayer, partialSize);
    assert.deepEqual(await locksHeldBy(s.stateDir, process.pid), []);
    assert.deepEqual(await readdir(join(s.stateDir, 'content', 'ingest')), [], 'no leftovers in ingest/');
  });

  it('berthd SIGKILLed while idle: the default socket falls back in-process, a named one is a clear error', async (t) => {
    const s = await setup(t, 'killed-idle');
    const daemon = await startBerthd(t, join(s.dir, 'run'));
    const { BERTH_HOST: named, ...defaultSocket } = s.env;
    const small = s.directRef;
    const through = await s.berth(['--debug', 'pull', small], defaultSocket);
    assert.equal(through.status, 0, through.stderr);
    assert.match(through.stderr, /pulling through berthd on .*\/run\/berthd\.sock/);
    await kill(daemon.process);
    await s.berth(['rmi', small], defaultSocket);
    assert.deepEqual(await storedImages(s.stateDir), []);

    // The socket file is left behind, nobody listens on it.
    assert.ok((await stat(join(s.dir, 'run', 'berthd.sock'))).isSocket());
    const alone = await s.berth(['--debug', 'pull', small], defaultSocket);
    assert.equal(alone.status, 0, alone.stderr);
    assert.match(alone.stderr, /no berthd answers on .*\/run\/berthd\.sock: pulling in this process/);
    assert.deepEqual(await storedImages(s.stateDir), [small]);

    assert.ok(named);
    const explicit = await s.berth(['pull', small]);
    assert.equal(explicit.status, 1);
    assert.match(
      explicit.stderr,
      /^berth: no berthd answers on .*\/run\/berthd\.sock: ECONNREFUSED \(the socket is left over: berthd stopped or was killed\)\nhint: start berthd.*--no-daemon\n$/,
    );
  });
});
