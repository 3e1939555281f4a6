// Base images built with no registry: busybox from busybox-static (reproducible, runs under
// chroot) and debian:bookworm with debootstrap from the host's apt mirror.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import {
  buildBusyboxImage,
  buildDebianImage,
  discoverMirror,
  ensureBaseImage,
  localHost,
} from '../../../src/image/index.ts';
import { storesIn } from './archive-harness.ts';
import { tempDir } from './registry-harness.ts';

const exec = promisify(execFile);

test('busybox: the same digests on every build, and its layer runs busybox under chroot', async (t) => {
  const dir = await tempDir(t, 'base-busybox');
  const first = await buildBusyboxImage({ ...storesIn(join(dir, 'a')), host: localHost });
  const second = await buildBusyboxImage({ ...storesIn(join(dir, 'b')), host: localHost });
  assert.equal(first.id, second.id);
  assert.equal(first.manifest.digest, second.manifest.digest);
  assert.deepEqual(first.names, ['docker.io/library/busybox:latest']);
  const stores = storesIn(join(dir, 'a'));
  const config = JSON.parse((await stores.content.readBytes(first.config.digest)).toString());
  assert.deepEqual(config.config.Cmd, ['sh']);
  const root = join(dir, 'root');
  await mkdir(root);
  await exec('tar', ['-xzf', stores.content.blobPath(first.layers[0]!.digest), '-C', root]);
  await exec('chroot', [root, '/bin/busybox', 'true']);
  const { stdout } = await exec('chroot', [
    root,
    '/bin/sh',
    '-c',
    'echo $(id -un) && stat -c %a /tmp && grep nobody /etc/group',
  ]);
  assert.deepEqual(stdout.trim().split('\n'), ['root', '1777', 'nobody:x:65534:']);
});

test('ensureBaseImage builds busybox on first use and leaves other names to the registry', async (t) => {
  const dir = await tempDir(t, 'base-ensure');
  const deps = { ...storesIn(dir), host: localHost };
  const built = await ensureBaseImage('busybox', deps);
  assert.ok(built);
  assert.equal((await ensureBaseImage('docker.io/library/busybox:latest', deps))?.id, built.id);
  assert.equal(await ensureBaseImage('alpine', deps), undefined);
  assert.equal(await ensureBaseImage('busybox:1.36', deps), undefined);
  assert.equal(await ensureBaseImage('debian:bookworm', deps), undefined, 'debootstrap only when allowed');
});

test('the Debian mirror comes from apt sources (deb822 and one-line)', async (t) => {
  const dir = await tempDir(t, 'base-mirror');
  await writeFile(
    join(dir, 'x.sources'),
    'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n',
  );
  const host = {
    ...localHost,
    listDir: async () => ['x.sources'],
    readFile: async (p: string) => {
      if (p.endsWith('sources.list')) throw new Error('ENOENT');
      return localHost.readFile(join(dir, 'x.sources'));
    },
  };
  assert.equal(await discoverMirror(host), 'http://mirror.example/debian');
  assert.match(await discoverMirror(localHost), /^https?:\/\//, 'this host has a mirror configured');
});

test('debian:bookworm with debootstrap: runs bash, idempotent, no scratch left', async (t) => {
  const dir = await tempDir(t, 'base-debian');
  const scratch = join(dir, 'scratch');
  await mkdir(scratch);
  const lines: string[] = [];
  const deps = { ...storesIn(join(dir, 'state')), host: localHost, onLine: (l: string) => lines.push(l) };
  const image = await buildDebianImage(deps, { scratchDir: scratch });
  assert.deepEqual(image.names, ['docker.io/library/debian:bookworm']);
  assert.ok(
    lines.some((l) => l.includes('Base system installed successfully')),
    'debootstrap progress shown',
  );
  assert.deepEqual(await readdir(scratch), [], 'debootstrap root removed');
  const again = await buildDebianImage(deps, { scratchDir: scratch });
  assert.equal(again.id, image.id);
  const root = join(dir, 'root');
  await mkdir(root);
  await exec('tar', ['-xzf', deps.content.blobPath(image.layers[0]!.digest), '-C', root]);
  const { stdout } = await exec('chroot', [
    root,
    '/bin/bash',
    '-c',
    'cat /etc/debian_version; command -v apt-get',
  ]);
  assert.match(stdout, /^12\.\d+\n\/usr\/bin\/apt-get\n$/);
});
