// `berth login/pull/images/tag/push/inspect/history/rmi/logout` as a user runs them, against
// docker-registry with htpasswd auth; skopeo seeds the image and checks what was pushed.
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatBytes } from '../../../src/cli/commands/image-progress.ts';
import { cliHostEnv } from '../../fixtures/cli-host.ts';
import {
  buildLayout,
  type LayoutImage,
  run,
  skopeoCopy,
  startRegistry,
  tempDir,
} from './registry-harness.ts';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));

describe('berth image CLI against docker-registry', () => {
  it('logs in, pulls, lists, tags, pushes, inspects, removes and logs out', async (t) => {
    const dir = await tempDir(t, 'cli');
    const registry = await startRegistry(t, join(dir, 'registry'), {
      kind: 'htpasswd',
      username: 'carol',
      password: 'pw123',
    });
    const [image] = await buildLayout(join(dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await skopeoCopy(image!.source, `docker://${registry.host}/cli/app:v1`, { creds: 'carol:pw123' });
    // Hosted commands (pull, images, tag, push, inspect, history, rmi) go through a private CLI host;
    // login and logout read stdin or are not hosted and run in their own process.
    const env = {
      ...process.env,
      ...cliHostEnv(t, dir),
      BERTH_STATE_DIR: join(dir, 'state'),
      BERTH_CONFIG_DIR: join(dir, 'config'),
    };
    const berth = (args: string[], input?: string) =>
      spawnSync(BERTH, args, { encoding: 'utf8', env, input });

    const denied = berth(['pull', `${registry.host}/cli/app:v1`]);
    assert.equal(denied.status, 1);
    assert.match(
      denied.stderr,
      /^berth: get manifest cli\/app:v1 from 127\.0\.0\.1:\d+: the registry requires a user name and password\nhint: log in/,
    );

    const bad = berth(['login', '-u', 'carol', '--password-stdin', registry.host], 'wrong\n');
    assert.equal(bad.status, 1, bad.stderr);
    const login = berth(['login', '-u', 'carol', '--password-stdin', registry.host], 'pw123\n');
    assert.equal(login.status, 0, login.stderr);
    assert.match(login.stdout, /Login succeeded for carol/);
    assert.equal((await stat(join(dir, 'config', 'auth.json'))).mode & 0o777, 0o600);

    const pull = berth(['--json', 'pull', `${registry.host}/cli/app:v1`]);
    assert.equal(pull.status, 0, pull.stderr);
    const record = JSON.parse(pull.stdout);
    assert.equal(record.manifest.digest, image!.manifestDigest);
    const plain = berth(['pull', `${registry.host}/cli/app:v1`]);
    assert.match(plain.stdout, /^Pulled 127\.0\.0\.1:\d+\/cli\/app:v1\nDigest: sha256:/);
    assert.match(plain.stderr, /layer [0-9a-f]{12}: already present/);
    const quiet = berth(['pull', '-q', `${registry.host}/cli/app:v1`]);
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.deepEqual([quiet.stdout, quiet.stderr], [`${registry.host}/cli/app:v1\n`, '']);
    const quietJson = berth(['pull', '--quiet', '--json', `${registry.host}/cli/app:v1`]);
    assert.equal(JSON.parse(quietJson.stdout).manifest.digest, image!.manifestDigest);

    assert.equal(berth(['tag', `${registry.host}/cli/app:v1`, `${registry.host}/cli/copy:v2`]).status, 0);
    const list = berth(['images']);
    assert.match(list.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.match(list.stdout, new RegExp(`cli/copy\\s+v2\\s+${image!.configDigest.slice(7, 19)}`));
    assert.equal(
      berth(['images', '-q']).stdout,
      `${image!.configDigest.slice(7, 19)}\n`,
      'one ID for two names',
    );

    const push = berth(['push', `${registry.host}/cli/copy:v2`]);
    assert.equal(push.status, 0, push.stderr);
    assert.match(push.stdout, /Blobs: 0 uploaded, 4 mounted, 0 already present/);
    const quietPush = berth(['push', '-q', `${registry.host}/cli/copy:v2`]);
    assert.equal(quietPush.status, 0, quietPush.stderr);
    assert.deepEqual([quietPush.stdout, quietPush.stderr], [`${registry.host}/cli/copy:v2\n`, '']);
    const { stdout: raw } = await run('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      'carol:pw123',
      `docker://${registry.host}/cli/copy:v2`,
    ]);
    assert.equal(JSON.parse(raw).config.digest, image!.configDigest);

    const inspect = JSON.parse(berth(['image', 'inspect', 'cli-missing-name', '--json']).stderr || '{}');
    assert.equal(inspect.error?.code, 'ERR_IMAGE_NOT_FOUND');
    const shown = JSON.parse(berth(['image', 'inspect', image!.configDigest.slice(7, 15)]).stdout);
    assert.deepEqual(shown.imageConfig.cmd, ['/bin/sh']);
    await checkHistory({
      berth,
      dir,
      ref: `${registry.host}/cli/copy:v2`,
      image: image!,
      layers: record.layers,
    });

    assert.equal(berth(['image', 'ls', '--force']).status, 2, 'flags of another subcommand are refused');
    const rmi = berth(['rmi', `${registry.host}/cli/copy:v2`, `${registry.host}/cli/app:v1`]);
    assert.equal(rmi.status, 0, rmi.stderr);
    assert.match(rmi.stdout, /Untagged: .*copy:v2\n.*Deleted: sha256:/s);
    assert.deepEqual(await readdir(join(dir, 'state', 'content', 'blobs', 'sha256')), []);
    assert.equal(berth(['images', '-q']).stdout, '');

    await writeFile(join(dir, 'state', 'content', 'blobs', 'sha256', 'a'.repeat(64)), 'stray');
    assert.match(
      berth(['image', 'prune', '--grace', '0']).stdout,
      /^Deleted 1 blobs and 0 partial downloads, freed 5 B\nDeleted 0 unpacked layers, freed 0 B\n$/,
    );

    assert.match(berth(['logout', registry.host]).stdout, /Removed credentials/);
    assert.equal(berth(['pull', `${registry.host}/cli/app:v1`]).status, 1);
  });

  it('two berth processes pulling the same image into one store both succeed and share its blobs', async (t) => {
    const dir = await tempDir(t, 'cli');
    const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
    const [image] = await buildLayout(join(dir, 'src'), {
      tag: 'v1',
      architectures: ['amd64'],
      extraBytes: 4 * 1024 * 1024,
    });
    await skopeoCopy(image!.source, `docker://${registry.host}/race/app:v1`);
    // Separate processes (no CLI host): the store's file locks are what this is about.
    const env = { ...process.env, BERTH_STATE_DIR: join(dir, 'state'), BERTH_CLI_HOST: 'off' };
    const pull = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(BERTH, ['pull', `${registry.host}/race/app:v1`], { env, stdio: 'ignore' });
        child.on('exit', resolve);
      });
    assert.deepEqual(await Promise.all([pull(), pull(), pull()]), [0, 0, 0]);
    const blobs = await readdir(join(dir, 'state', 'content', 'blobs', 'sha256'));
    assert.equal(blobs.length, 5);
    assert.deepEqual(await readdir(join(dir, 'state', 'content', 'ingest')), []);
    const list = JSON.parse(spawnSync(BERTH, ['images', '--json'], { env, encoding: 'utf8' }).stdout);
    assert.equal(list.length, 1);
  });
});

/** `berth history` on the pulled image: its three steps, newest first, each next to its layer. */
async function checkHistory(o: {
  berth: (args: string[]) => SpawnSyncReturns<string>;
  dir: string;
  ref: string;
  image: LayoutImage;
  layers: { digest: string; size: number }[];
}): Promise<void> {
  const { berth, image, layers } = o;
  const text = berth(['history', o.ref]);
  assert.equal(text.status, 0, text.stderr);
  const rows = text.stdout.split('\n');
  assert.match(rows[0] ?? '', /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  const size = (i: number) => formatBytes(layers[i]!.size).replace('.', '\\.');
  assert.match(
    rows[1] ?? '',
    new RegExp(`^${image.configDigest.slice(7, 19)}\\s+unknown\\s+layer 2\\s+${size(2)}$`),
  );
  assert.match(rows[2] ?? '', new RegExp(`^<missing>\\s+unknown\\s+layer 1\\s+${size(1)}$`));
  assert.match(rows[3] ?? '', new RegExp(`^<missing>\\s+unknown\\s+layer 0\\s+${size(0)}$`));
  assert.deepEqual(rows.slice(4), ['']);

  const json = JSON.parse(berth(['image', 'history', '--json', image.configDigest.slice(7, 15)]).stdout);
  assert.deepEqual(
    json,
    [2, 1, 0].map((i) => ({
      id: i === 2 ? image.configDigest : null,
      created: null,
      createdBy: `layer ${i}`,
      size: layers[i]!.size,
      comment: '',
      emptyLayer: false,
      layer: image.layerDigests[i],
    })),
  );
  assert.equal(
    berth(['history', '-q', o.ref]).stdout,
    `${image.configDigest.slice(7, 19)}\n<missing>\n<missing>\n`,
  );
  assert.equal(
    berth(['history', '-q', '--no-trunc', o.ref]).stdout,
    `${image.configDigest}\n<missing>\n<missing>\n`,
  );

  const missing = berth(['history', 'cli-missing-name']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^berth: .*cli-missing-name/);
  const missingJson = JSON.parse(berth(['history', '--json', 'cli-missing-name']).stderr);
  assert.equal(missingJson.error.code, 'ERR_IMAGE_NOT_FOUND');

  // A store whose config blob is gone: the error names the image and the blob.
  const broken = join(o.dir, 'broken-state');
  assert.equal(berth(['pull', '-q', '--state-dir', broken, o.ref]).status, 0);
  await rm(join(broken, 'content', 'blobs', 'sha256', image.configDigest.slice(7)));
  const gone = berth(['history', '--state-dir', broken, o.ref]);
  assert.equal(gone.status, 1);
  assert.match(
    gone.stderr,
    new RegExp(`^berth: image .*copy:v2: its config ${image.configDigest} is not in the content store\n`),
  );
}
