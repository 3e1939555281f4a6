// Unpacks a two-layer image built at test time into overlay snapshots, mounts the result with
// the real kernel's overlayfs and checks the merged view.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { unpackImage, unpackLayer } from '../../../src/image/index.ts';
import { OverlaySnapshotter } from '../../../src/storage/index.ts';
import { describeTree, getXattr, layer, type TestLayer } from '../../fixtures/hostile-layers/layers.ts';
import { tar } from '../../fixtures/hostile-layers/tar-builder.ts';

const work = mkdtempSync(join(tmpdir(), 'berth-unpack-'));
const mounted: string[] = [];

/** Layer 1: a busybox rootfs made by GNU tar, with things layer 2 deletes and hides. */
function busyboxLayer(): { tarBytes: Buffer } {
  const rootfs = join(work, 'rootfs');
  for (const dir of ['bin', 'etc', 'opq/sub', 'keep']) mkdirSync(join(rootfs, dir), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  for (const applet of ['sh', 'ls', 'cat']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(rootfs, 'gone'), 'deleted by layer 2');
  writeFileSync(join(rootfs, 'opq/lower-only'), 'hidden by the opaque dir');
  writeFileSync(join(rootfs, 'opq/sub/deep'), 'also hidden');
  writeFileSync(join(rootfs, 'keep/file'), 'kept');
  chmodSync(join(rootfs, 'keep'), 0o1777);
  const tarBytes = execFileSync('tar', ['--numeric-owner', '--xattrs', '-cf', '-', '-C', rootfs, '.'], {
    maxBuffer: 1 << 28,
  });
  return { tarBytes };
}

/** Layer 2: whiteout, opaque dir, hardlink, symlink, fifo, device, xattrs, setuid, owners, times. */
function changesLayer(): Buffer {
  return tar([
    { name: './.wh.gone', body: '' },
    { name: './opq/', type: '5', mode: 0o750, uid: 7, gid: 8, mtime: 1_500_000_000 },
    { name: './opq/.wh..wh..opq' },
    { name: './opq/new', body: 'upper' },
    { name: './bin/su', body: 'setuid', mode: 0o4755 },
    { name: './bin/sg', body: 'setgid', mode: 0o2711, gid: 42 },
    { name: './bin/su-hard', type: '1', linkname: './bin/su' },
    { name: './owned', body: 'x', uid: 1234, gid: 5678, pax: { mtime: '1600000000.5' } },
    { name: './link', type: '2', linkname: '/bin/busybox' },
    { name: './fifo', type: '6', mode: 0o640 },
    { name: './dev/', type: '5', mode: 0o755 },
    { name: './dev/null2', type: '3', mode: 0o666, devmajor: 1, devminor: 3 },
    {
      name: './caps',
      body: 'c',
      mode: 0o755,
      pax: {
        'SCHILY.xattr.security.capability': Buffer.from('0100000200100000000000000000000000000000', 'hex'),
        'SCHILY.xattr.user.note': 'hello',
        'SCHILY.xattr.trusted.overlay.redirect': '/elsewhere',
      },
    },
  ]);
}

function mountOverlay(options: string[], target: string): void {
  mkdirSync(target, { recursive: true });
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', options.join(','), target]);
  mounted.push(target);
}

describe('unpackImage into overlay snapshots', { concurrency: false }, () => {
  let snapshotter: OverlaySnapshotter;
  let layers: TestLayer[];
  let baseTar: Buffer;
  let top: string;
  const merged = join(work, 'merged');

  before(async () => {
    const base = busyboxLayer();
    baseTar = base.tarBytes;
    layers = [layer(base.tarBytes, 'gzip'), layer(changesLayer(), 'zstd')];
    snapshotter = new OverlaySnapshotter(join(work, 'store'));
    top = (await unpackImage({ snapshotter, layers })).chainId;
    const mounts = await snapshotter.prepare('container', top);
    assert.equal(mounts[0]?.type, 'overlay');
    mountOverlay(mounts[0]!.options, merged);
  });

  after(() => {
    for (const target of mounted.reverse()) execFileSync('umount', [target]);
    rmSync(work, { recursive: true, force: true });
  });

  it('commits one snapshot per chain ID, the first equal to the first diff_id', async () => {
    const committed = (await snapshotter.list()).filter((s) => s.kind === 'committed');
    assert.equal(committed.length, 2);
    assert.ok(committed.some((s) => s.key === layers[0]!.diffId && s.parent === undefined));
    assert.ok(committed.some((s) => s.key === top && s.parent === layers[0]!.diffId));
    const usage = await snapshotter.usage(layers[0]!.diffId);
    assert.ok(usage.inodes >= 12 && usage.size > 1_000_000, JSON.stringify(usage));
  });

  it('layer 1 matches what GNU tar extracts', () => {
    const snapshot = join(snapshotter.root, 'snapshots', '1', 'fs');
    const byTar = join(work, 'by-tar');
    mkdirSync(byTar);
    execFileSync('tar', ['--numeric-owner', '--xattrs', '-xpf', '-', '-C', byTar], {
      input: baseTar,
    });
    assert.deepEqual(describeTree(snapshot, { times: true }), describeTree(byTar, { times: true }));
  });

  it('hides whited-out files and lower content of opaque dirs', () => {
    assert.equal(existsSync(join(merged, 'gone')), false);
    assert.equal(existsSync(join(merged, 'opq/lower-only')), false);
    assert.equal(existsSync(join(merged, 'opq/sub')), false);
    assert.equal(readFileSync(join(merged, 'opq/new'), 'utf8'), 'upper');
    assert.equal(readFileSync(join(merged, 'keep/file'), 'utf8'), 'kept');
    assert.equal(statSync(join(merged, 'keep')).mode & 0o7777, 0o1777);
  });

  it('keeps modes, owners, times, links, devices and xattrs', () => {
    const st = (p: string) => lstatSync(join(merged, p));
    assert.equal(st('bin/su').mode & 0o7777, 0o4755);
    assert.equal(st('bin/sg').mode & 0o7777, 0o2711);
    assert.equal(st('bin/sg').gid, 42);
    assert.equal(st('bin/su').ino, st('bin/su-hard').ino);
    assert.deepEqual([st('owned').uid, st('owned').gid], [1234, 5678]);
    assert.equal(st('owned').mtimeMs, 1_600_000_000_500);
    assert.equal(st('opq').mtimeMs, 1_500_000_000_000);
    assert.deepEqual([st('opq').mode & 0o7777, st('opq').uid, st('opq').gid], [0o750, 7, 8]);
    assert.ok(st('link').isSymbolicLink());
    assert.ok(st('fifo').isFIFO());
    assert.equal(st('fifo').mode & 0o7777, 0o640);
    assert.ok(st('dev/null2').isCharacterDevice());
    assert.equal(st('dev/null2').rdev, 259); // makedev(1, 3)
    assert.equal(getXattr(join(merged, 'caps'), 'user.note')?.toString(), 'hello');
    assert.equal(getXattr(join(merged, 'caps'), 'security.capability')?.length, 20);
    assert.equal(getXattr(join(merged, 'caps'), 'trusted.overlay.redirect'), undefined);
  });

  it('runs the unpacked busybox through the merged view', () => {
    assert.equal(
      execFileSync('chroot', [merged, '/bin/cat', '/etc/passwd'], { encoding: 'utf8' }),
      'root:x:0:0:root:/root:/bin/sh\n',
    );
  });

  it('shares lower layers between images and reuses them without reading', async () => {
    const other = layer(tar([{ name: 'other', body: 'o' }]), 'none');
    const reused = { diffId: layers[0]!.diffId, open: () => assert.fail('shared layer must not be read') };
    const result = await unpackImage({ snapshotter, layers: [reused, other] });
    assert.deepEqual(
      result.layers.map((l) => l.unpacked),
      [false, true],
    );
  });

  it('refuses a layer whose content does not match its diff_id and leaves no snapshot', async () => {
    const before = await snapshotter.list();
    const wrong = { ...layer(tar([{ name: 'x', body: 'y' }])), diffId: `sha256:${'0'.repeat(64)}` };
    await assert.rejects(unpackImage({ snapshotter, layers: [wrong] }), {
      code: 'ERR_IMAGE_LAYER_DIGEST_MISMATCH',
    });
    assert.deepEqual(await snapshotter.list(), before);
    const dirs = execFileSync('ls', [join(snapshotter.root, 'snapshots')], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    assert.equal(dirs.length, before.length);
  });

  it('flattens layers into one directory, where whiteouts delete', async () => {
    const flat = join(work, 'flat');
    mkdirSync(flat);
    for (const l of layers)
      await unpackLayer({ source: l.open(), target: flat, options: { whiteouts: 'flatten' } });
    assert.equal(existsSync(join(flat, 'gone')), false);
    assert.deepEqual(execFileSync('ls', [join(flat, 'opq')], { encoding: 'utf8' }), 'new\n');
    const view = describeTree(merged);
    delete view['.']; // the container's upper dir root differs only in its own times
    const flatTree = describeTree(flat);
    delete flatTree['.'];
    assert.deepEqual(flatTree, view);
  });
});
