// e2e: the real `bin/berth pull` against a real berthd (temp socket, temp state dir) and a real
// docker-registry on loopback: the pull goes through the daemon, lands in its store, shows
// progress, reports registry errors as the in-process pull does, uses `berth login`
// credentials, is cancelled by Ctrl-C, and the CLI falls back when no daemon (or another
// state dir's daemon) answers.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildLayout, type Cleanup, skopeoCopy, startRegistry, tempDir } from '../image/registry-harness.ts';
import {
  blobsAreComplete,
  startBerthd,
  startThrottlingProxy,
  storedImages,
  untilFirstBlob,
} from './daemon-harness.ts';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));

interface Setup {
  dir: string;
  env: NodeJS.ProcessEnv;
  berth(args: string[], options?: { env?: NodeJS.ProcessEnv; input?: string }): ReturnType<typeof spawnSync>;
}

/** Temp dirs for state, run dir and config; the CLI's state dir is the daemon's unless a test says otherwise. */
async function setup(t: Cleanup, prefix: string): Promise<Setup> {
  const dir = await tempDir(t, prefix);
  const env = {
    ...process.env,
    BERTH_STATE_DIR: join(dir, 'daemon', 'state'),
    BERTH_RUN_DIR: join(dir, 'run'),
    BERTH_CONFIG_DIR: join(dir, 'config'),
    BERTH_HOST: `unix://${join(dir, 'daemon', 'berthd.sock')}`,
  };
  return {
    dir,
    env,
    berth: (args, options = {}) =>
      spawnSync(BERTH, args, { encoding: 'utf8', env: options.env ?? env, input: options.input }),
  };
}

describe('berth pull through berthd', () => {
  it('pulls into the daemon store with progress, and reports a missing image like the in-process pull', async (t) => {
    const s = await setup(t, 'daemon-pull');
    const daemon = await startBerthd(t, join(s.dir, 'daemon'));
    const registry = await startRegistry(t, join(s.dir, 'registry'), { kind: 'none' });
    const [image] = await buildLayout(join(s.dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await skopeoCopy(image!.source, `docker://${registry.host}/team/app:v1`);

    const pull = s.berth(['--debug', 'pull', `${registry.host}/team/app:v1`]);
    assert.equal(pull.status, 0, pull.stderr as string);
    assert.match(pull.stderr as string, /pulling through berthd on .*berthd\.sock/);
    assert.match(pull.stderr as string, /layer [0-9a-f]{12}: transferred/);
    assert.match(
      pull.stdout as string,
      /^Pulled 127\.0\.0\.1:\d+\/team\/app:v1\nDigest: sha256:[0-9a-f]{64}\nID: /,
    );
    // The daemon logs a request once its answer is sent, maybe after the CLI exited.
    await daemon.waitForLog(/"method":"POST","path":"\/v1\/images\/pull","status":200,"ms"/);
    assert.deepEqual(await storedImages(daemon.stateDir), [`${registry.host}/team/app:v1`]);
    const blobs = await blobsAreComplete(daemon.stateDir);
    for (const layer of image!.layerDigests) assert.ok(blobs.includes(layer), `layer ${layer} stored`);

    const json = s.berth(['pull', '--json', `${registry.host}/team/app:v1`]);
    assert.equal(JSON.parse(json.stdout as string).manifest.digest, image!.manifestDigest);

    const missing = s.berth(['pull', `${registry.host}/team/missing:v1`]);
    const inProcess = s.berth(['pull', '--no-daemon', `${registry.host}/team/missing:v1`]);
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, inProcess.stderr);
    assert.match(missing.stderr as string, /^berth: .*team\/missing.*\nhint: /);
    const jsonError = JSON.parse(
      s.berth(['--json', 'pull', `${registry.host}/team/missing:v1`]).stderr as string,
    );
    assert.equal(jsonError.error.code, 'ERR_IMAGE_REGISTRY_NOT_FOUND');
    await daemon.waitForLog(/(images\/pull[\s\S]*){4}/);
    assert.equal(
      (daemon.log().match(/images\/pull/g) ?? []).length,
      4,
      'the --no-daemon pull did not reach berthd',
    );
  });

  it('sends the credentials berth login stored to a basic-auth registry', async (t) => {
    const s = await setup(t, 'daemon-auth');
    const daemon = await startBerthd(t, join(s.dir, 'daemon'));
    const registry = await startRegistry(t, join(s.dir, 'registry'), {
      kind: 'htpasswd',
      username: 'carol',
      password: 'pw123',
    });
    const [image] = await buildLayout(join(s.dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await skopeoCopy(image!.source, `docker://${registry.host}/auth/app:v1`, { creds: 'carol:pw123' });

    const denied = s.berth(['pull', `${registry.host}/auth/app:v1`]);
    assert.equal(denied.status, 1);
    assert.match(denied.stderr as string, /the registry requires a user name and password\nhint: log in/);
    const login = s.berth(['login', '-u', 'carol', '--password-stdin', registry.host], { input: 'pw123\n' });
    assert.equal(login.status, 0, login.stderr as string);
    const pull = s.berth(['pull', `${registry.host}/auth/app:v1`]);
    assert.equal(pull.status, 0, pull.stderr as string);
    assert.deepEqual(await storedImages(daemon.stateDir), [`${registry.host}/auth/app:v1`]);
    await daemon.waitForLog(/images\/pull","status":200,"ms"/);
  });

  it('Ctrl-C in the CLI cancels the pull in the daemon and leaves no partial blob visible', async (t) => {
    const s = await setup(t, 'daemon-cancel');
    const daemon = await startBerthd(t, join(s.dir, 'daemon'));
    const registry = await startRegistry(t, join(s.dir, 'registry'), { kind: 'none' });
    const [image] = await buildLayout(join(s.dir, 'src'), {
      tag: 'v1',
      architectures: ['amd64'],
      extraBytes: 8 * 1024 * 1024,
    });
    assert.ok(image);
    await skopeoCopy(image!.source, `docker://${registry.host}/big/app:v1`);
    // About 2 MB/s: the 8 MiB random layer takes seconds, the config a moment.
    const proxy = await startThrottlingProxy(t, registry.host, 2_000_000);

    const cli = spawn(BERTH, ['pull', `${proxy.host}/big/app:v1`], { env: s.env });
    t.after(() => {
      if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
    });
    await untilFirstBlob(cli);
    const exited = once(cli, 'exit');
    cli.kill('SIGINT');
    const [code, signal] = await exited;
    assert.ok(code !== 0 || signal === 'SIGINT', `the CLI stopped (code ${code}, signal ${signal})`);
    await proxy.cutShort;
    await daemon.waitForLog(/images\/pull","status":200,"error":"client gone"/);

    assert.deepEqual(await storedImages(daemon.stateDir), []);
    const blobs = await blobsAreComplete(daemon.stateDir);
    assert.ok(!blobs.includes(image.layerDigests[2]!), 'the big layer is not in the store');
    // The daemon still serves, and a later pull completes (resuming what the first one fetched).
    const again = s.berth(['pull', `${registry.host}/big/app:v1`]);
    assert.equal(again.status, 0, again.stderr as string);
    assert.ok((await blobsAreComplete(daemon.stateDir)).includes(image.layerDigests[2]!));
  });

  it('pulls in-process when no daemon answers, or when the daemon serves another state dir', async (t) => {
    const s = await setup(t, 'daemon-fallback');
    const registry = await startRegistry(t, join(s.dir, 'registry'), { kind: 'none' });
    const [image] = await buildLayout(join(s.dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await skopeoCopy(image!.source, `docker://${registry.host}/fb/app:v1`);
    const ref = `${registry.host}/fb/app:v1`;

    // Default socket ($BERTH_RUN_DIR/berthd.sock) with nothing listening: in-process, same output.
    const { BERTH_HOST: _, ...noHost } = s.env;
    const alone = s.berth(['--debug', 'pull', ref], { env: noHost });
    assert.equal(alone.status, 0, alone.stderr as string);
    assert.match(
      alone.stderr as string,
      /no berthd answers on .*\/run\/berthd\.sock: pulling in this process/,
    );
    assert.match(alone.stdout as string, /^Pulled /);
    assert.deepEqual(await storedImages(s.env.BERTH_STATE_DIR!), [ref]);

    // A named host that does not answer is an error, not a silent fallback.
    const named = s.berth(['pull', ref]);
    assert.equal(named.status, 1);
    assert.match(named.stderr as string, /^berth: no berthd answers on .*berthd\.sock: ENOENT\nhint: /);

    // A running daemon for another state dir is not used: it refuses the pull (409) before
    // starting it, and the image lands in the CLI's store, with the same output.
    const daemon = await startBerthd(t, join(s.dir, 'daemon'));
    const otherState = join(s.dir, 'cli-state');
    const other = s.berth(['--debug', 'pull', '--state-dir', otherState, ref]);
    assert.equal(other.status, 0, other.stderr as string);
    assert.match(other.stderr as string, /serves .*daemon\/state, not .*cli-state: pulling in this process/);
    assert.doesNotMatch(other.stderr as string, /pulling through berthd/);
    assert.match(other.stdout as string, /^Pulled /);
    assert.deepEqual(await storedImages(otherState), [ref]);
    await daemon.waitForLog(/"path":"\/v1\/images\/pull","status":409/);
    assert.doesNotMatch(daemon.log(), /images\/pull","status":200/);
    // Errors of the fallback pull are the in-process pull's, exit code included.
    const otherMissing = s.berth(['pull', '--state-dir', otherState, `${registry.host}/fb/missing:v1`]);
    const inProcessMissing = s.berth([
      'pull',
      '--no-daemon',
      '--state-dir',
      otherState,
      `${registry.host}/fb/missing:v1`,
    ]);
    assert.equal(otherMissing.status, 1);
    assert.equal(otherMissing.stderr, inProcessMissing.stderr);

    // A body without stateDir (an older client) is pulled into the daemon's store as before.
    const older = `${registry.host}/fb/older:v1`;
    await skopeoCopy(image!.source, `docker://${older}`);
    const raw = spawnSync(
      'curl',
      [
        '-sS',
        '--unix-socket',
        daemon.socketPath,
        'http://berthd/v1/images/pull',
        '-H',
        'content-type: application/json',
        '-d',
        JSON.stringify({ reference: older }),
      ],
      { encoding: 'utf8' },
    );
    assert.match(raw.stdout, /\{"image":/);
    assert.deepEqual((await storedImages(daemon.stateDir)).sort(), [older, ref].sort());
  });
});
