// The resident CLI host behind bin/berth (docs/design/cli-host.md), through the real C front-end:
// same output as the slow path, the caller's env and directory, start on demand, retirement when
// its sources change, Ctrl-C during a pull through berthd, and a host that dies mid-call.
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cliHostEnv, cliHostPid } from '../../fixtures/cli-host.ts';
import { alive } from '../../fixtures/processes.ts';
import { startBerthd, startThrottlingProxy, untilFirstBlob } from '../api/daemon-harness.ts';
import { buildLayout, type Cleanup, skopeoCopy, startRegistry, tempDir } from '../image/registry-harness.ts';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));

type Env = Record<string, string | undefined>;

function berth(args: string[], env: Env, cwd?: string): SpawnSyncReturns<string> {
  return spawnSync(BERTH, args, { encoding: 'utf8', env, ...(cwd ? { cwd } : {}), timeout: 60_000 });
}

/** Waits up to 20 s for `check`; a timeout says what the host's log (if `socket` is given) holds. */
async function waitFor(what: string, check: () => boolean, socket?: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await sleep(20);
  }
  const log = socket ? await readFile(`${socket}.log`, 'utf8').catch((e: Error) => e.message) : '';
  assert.fail(`timed out waiting for ${what}${log ? `; the host's log:\n${log}` : ''}`);
}

/** A registry holding one small image, and the environment of a user with a private host. */
async function setup(t: Cleanup, prefix: string) {
  const dir = await tempDir(t, prefix);
  const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
  const [image] = await buildLayout(join(dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
  const ref = `${registry.host}/host/app:v1`;
  await skopeoCopy(image!.source, `docker://${ref}`);
  const env: Env = {
    ...process.env,
    BERTH_STATE_DIR: join(dir, 'state'),
    BERTH_RUN_DIR: join(dir, 'run'),
    BERTH_CONFIG_DIR: join(dir, 'config'),
    ...cliHostEnv(t, dir),
  };
  return { dir, registry, image: image!, ref, env, socket: join(dir, 'cli-host.sock') };
}

/** big/app:v1 with an 8 MiB random layer, and a proxy that serves the registry at `bytesPerSecond`. */
async function slowImage(t: Cleanup, s: { dir: string; registry: { host: string } }, bytesPerSecond: number) {
  const [big] = await buildLayout(join(s.dir, 'big'), {
    tag: 'v1',
    architectures: ['amd64'],
    extraBytes: 8 << 20,
  });
  await skopeoCopy(big!.source, `docker://${s.registry.host}/big/app:v1`);
  return startThrottlingProxy(t, s.registry.host, bytesPerSecond);
}

describe('berth CLI host', () => {
  it('runs hosted commands with the output and exit status of the slow path', async (t) => {
    const s = await setup(t, 'host-same');
    // Each way has its own store, so a pull transfers the same blobs both times.
    const hostedEnv = { ...s.env, BERTH_STATE_DIR: join(s.dir, 'state-hosted') };
    const off = { ...s.env, BERTH_CLI_HOST: 'off', BERTH_STATE_DIR: join(s.dir, 'state-off') };
    // Blobs download in parallel: their progress lines come in the order they finish.
    const lines = (text: string) => text.split('\n').sort();
    for (const args of [
      ['version'],
      ['--json', 'version'],
      ['images'],
      ['images', '--frob'],
      ['--json', 'image', 'inspect', 'no-such-image'],
      ['pull', s.ref],
      ['images', '-q'],
      ['history', s.ref],
      ['--json', 'image', 'history', s.ref],
      ['frobnicate'],
      ['login', '--help'],
    ]) {
      const hosted = berth(args, hostedEnv);
      const alone = berth(args, off);
      assert.equal(hosted.status, alone.status, `exit status of ${args.join(' ')}: ${hosted.stderr}`);
      assert.equal(hosted.stdout, alone.stdout, `stdout of ${args.join(' ')}`);
      assert.deepEqual(lines(hosted.stderr), lines(alone.stderr), `stderr of ${args.join(' ')}`);
    }
    assert.ok(cliHostPid(s.socket), 'the host runs (require mode started it)');
  });

  it("draws progress bars at the caller's terminal width only when its stderr is a terminal", async (t) => {
    const s = await setup(t, 'host-tty');
    // script(1) gives berth a pseudo-terminal 70 columns wide; its output is the terminal's.
    const onTerminal = spawnSync('script', ['-qfc', `stty cols 70; ${BERTH} pull ${s.ref}`, '/dev/null'], {
      encoding: 'utf8',
      env: s.env,
      timeout: 60_000,
    });
    assert.equal(onTerminal.status, 0, onTerminal.stdout);
    const bar = /\x1b\[2Klayer {2}[0-9a-f]{12} {2}\[={20}\] done/;
    assert.match(
      onTerminal.stdout,
      bar,
      'bars redrawn in place, 20 wide at 70 columns (30 at the default 80)',
    );
    const piped = berth(['pull', s.ref], { ...s.env, BERTH_STATE_DIR: join(s.dir, 'piped') });
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /\x1b/);
    assert.match(piped.stderr, /^config [0-9a-f]{12}: transferred/m);
  });

  it("takes the state dir from the caller's environment and directory", async (t) => {
    const s = await setup(t, 'host-caller');
    const here = join(s.dir, 'here');
    await mkdir(here);
    const relative = berth(['pull', '--no-daemon', '--state-dir', 'rel-state', s.ref], s.env, here);
    assert.equal(relative.status, 0, relative.stderr);
    assert.ok((await readdir(join(here, 'rel-state', 'content', 'blobs', 'sha256'))).length > 0);
    const fromEnv = berth(['images', '-q'], { ...s.env, BERTH_STATE_DIR: 'rel-state' }, here);
    assert.equal(fromEnv.stdout, `${s.image.configDigest.slice(7, 19)}\n`);
    assert.equal(existsSync(join(s.dir, 'state')), false, "nothing went to the env's other store");
  });

  it('starts on demand, and a host whose sources change retires and is replaced', async (t) => {
    const s = await setup(t, 'host-demand');
    const watched = join(s.dir, 'watched');
    await mkdir(watched);
    const auto = { ...s.env, BERTH_CLI_HOST: 'auto', BERTH_CLI_HOST_WATCH: watched };
    assert.equal(cliHostPid(s.socket), undefined);
    const first = berth(['version'], auto);
    assert.equal(first.status, 0, first.stderr);
    await waitFor(
      'a host on the socket',
      () => cliHostPid(s.socket) !== undefined && existsSync(s.socket),
      s.socket,
    );
    const pid = cliHostPid(s.socket)!;
    assert.equal(berth(['version'], { ...auto, BERTH_CLI_HOST: 'require' }).status, 0);

    await writeFile(join(watched, 'changed.ts'), 'export {};\n');
    const during = berth(['version'], auto);
    assert.equal(during.status, 0, during.stderr);
    assert.match(during.stdout, /^berth \d/);
    await waitFor('the stale host to exit', () => !alive(pid), s.socket);
    await waitFor('its successor', () => (cliHostPid(s.socket) ?? pid) !== pid, s.socket);
    assert.equal(berth(['version'], { ...auto, BERTH_CLI_HOST: 'require' }).status, 0);
  });

  it('stops a pull through berthd when Ctrl-C kills berth, and serves the next call', async (t) => {
    const s = await setup(t, 'host-interrupt');
    const daemon = await startBerthd(t, join(s.dir, 'daemon'));
    const env = { ...s.env, BERTH_STATE_DIR: daemon.stateDir, BERTH_HOST: `unix://${daemon.socketPath}` };
    const proxy = await slowImage(t, s, 2_000_000);

    const cli = spawn(BERTH, ['pull', `${proxy.host}/big/app:v1`], { env });
    t.after(() => {
      if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
    });
    await untilFirstBlob(cli);
    const exited = once(cli, 'exit');
    cli.kill('SIGINT');
    const [, signal] = await exited;
    assert.equal(signal, 'SIGINT', 'the front-end died of the signal, as Node would have');
    await proxy.cutShort;
    await daemon.waitForLog(/images\/pull","status":200,"error":"client gone"/);
    const images = JSON.parse(berth(['--json', 'images'], env).stdout);
    assert.deepEqual(images, []);
    const again = berth(['pull', `${s.registry.host}/big/app:v1`], env);
    assert.equal(again.status, 0, again.stderr);
  });

  it('reports a host that dies in the middle of a call, without running it again', async (t) => {
    const s = await setup(t, 'host-dies');
    const proxy = await slowImage(t, s, 1_000_000);
    assert.equal(berth(['version'], s.env).status, 0);
    const pid = cliHostPid(s.socket)!;

    const cli = spawn(BERTH, ['pull', '--no-daemon', `${proxy.host}/big/app:v1`], { env: s.env });
    let stderr = '';
    cli.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    await waitFor('the pull to start', () => /transferred/.test(stderr));
    process.kill(pid, 'SIGKILL');
    const [code] = await once(cli, 'exit');
    assert.equal(code, 1);
    assert.match(
      stderr,
      /berth: the CLI host went away in the middle of this call\nhint: run the command again; see .*cli-host\.sock\.log\n$/,
    );
    const record = await readFile(join(s.dir, 'state', 'images', 'images.json'), 'utf8').catch(() => '{}');
    assert.doesNotMatch(record, /big\/app/, 'the interrupted pull recorded no image');
  });
});
