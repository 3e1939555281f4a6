// The hostile layer corpus: every archive is generated here, unpacked into a snapshot inside a
// sentinel directory, and must either fail with a clear error or be neutralised inside the
// snapshot — and never change anything outside it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { unpackImage } from '../../../src/image/index.ts';
import { OverlaySnapshotter } from '../../../src/storage/index.ts';
import { describeTree, layer } from '../../fixtures/hostile-layers/layers.ts';
import { base256, type EntrySpec, tar } from '../../fixtures/hostile-layers/tar-builder.ts';

const sentinel = mkdtempSync(join(tmpdir(), 'berth-hostile-'));
after(() => rmSync(sentinel, { recursive: true, force: true }));

// Bait around the store: a file and a dir a traversal would reach, and the host's /etc/passwd.
mkdirSync(join(sentinel, 'outside-dir'));
writeFileSync(join(sentinel, 'outside-dir', 'x'), 'bait');
writeFileSync(join(sentinel, 'passwd'), 'bait');
const hashOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const etcPasswd = hashOf('/etc/passwd');
const etcListing = readdirSync('/etc').sort().join('\n');

interface Case {
  name: string;
  layer: Buffer;
  /** The error code expected, or a check that the entry was neutralised inside the snapshot. */
  expect: string | ((fs: string) => void);
  allowDevices?: boolean;
  maxBytes?: number;
  /** Serve the blob as is instead of gzip-compressed. */
  uncompressed?: boolean;
}

const big = 2 << 20;
const cases: Case[] = [
  {
    name: 'parent traversal ../../etc/passwd',
    layer: tar([{ name: '../../etc/passwd', body: 'pwned' }]),
    expect: 'ERR_IMAGE_LAYER_UNSAFE',
  },
  {
    name: 'inner traversal a/../../x',
    layer: tar([{ name: 'a/../../x', body: 'pwned' }]),
    expect: 'ERR_IMAGE_LAYER_UNSAFE',
  },
  {
    name: 'absolute /etc/x lands in the snapshot',
    layer: tar([{ name: '/etc/x', body: 'inside' }]),
    expect: (fs) => assert.equal(readFileSync(join(fs, 'etc/x'), 'utf8'), 'inside'),
  },
  {
    name: 'symlink a -> / then a/etc/x resolves inside the root',
    layer: tar([
      { name: 'a', type: '2', linkname: '/' },
      { name: 'a/etc/x', body: 'inside' },
    ]),
    expect: (fs) => {
      assert.ok(lstatSync(join(fs, 'a')).isSymbolicLink());
      assert.equal(readFileSync(join(fs, 'etc/x'), 'utf8'), 'inside');
    },
  },
  {
    name: 'symlink a -> ../../.. then a/x resolves inside the root',
    layer: tar([
      { name: 'a', type: '2', linkname: '../../..' },
      { name: 'a/x', body: 'inside' },
    ]),
    expect: (fs) => assert.equal(readFileSync(join(fs, 'x'), 'utf8'), 'inside'),
  },
  {
    name: 'symlink chain a -> b -> ../../../outside-dir then a/x',
    layer: tar([
      { name: 'b', type: '2', linkname: '../../../../outside-dir' },
      { name: 'a', type: '2', linkname: 'b' },
      { name: 'a/x', body: 'inside' },
    ]),
    expect: (fs) => assert.equal(readFileSync(join(fs, 'outside-dir/x'), 'utf8'), 'inside'),
  },
  {
    name: 'symlink loop',
    layer: tar([
      { name: 'l1', type: '2', linkname: 'l2' },
      { name: 'l2', type: '2', linkname: 'l1' },
      { name: 'l1/x', body: '' },
    ]),
    expect: 'ERR_IMAGE_LAYER_UNSAFE',
  },
  {
    name: 'file over a symlink to /etc/passwd replaces the symlink',
    layer: tar([
      { name: 'f', type: '2', linkname: '/etc/passwd' },
      { name: 'f', body: 'replaced' },
    ]),
    expect: (fs) => assert.equal(readFileSync(join(fs, 'f'), 'utf8'), 'replaced'),
  },
  {
    name: 'hardlink to /etc/passwd',
    layer: tar([{ name: 'h', type: '1', linkname: '/etc/passwd' }]),
    expect: 'ERR_IMAGE_LAYER_UNSAFE',
  },
  {
    name: 'hardlink to ../x',
    layer: tar([{ name: 'h', type: '1', linkname: '../x' }]),
    expect: 'ERR_IMAGE_LAYER_UNSAFE',
  },
  {
    name: 'hardlink through a symlink to /etc',
    layer: tar([
      { name: 's', type: '2', linkname: '/etc' },
      { name: 'h', type: '1', linkname: 's/passwd' },
    ]),
    expect: 'ERR_IMAGE_LAYER_UNSAFE',
  },
  {
    name: 'hardlink to a directory',
    layer: tar([
      { name: 'd/', type: '5' },
      { name: 'h', type: '1', linkname: 'd' },
    ]),
    expect: 'ERR_IMAGE_LAYER_UNSAFE',
  },
  {
    name: 'device node when devices are disallowed',
    layer: tar([{ name: 'sda', type: '4', devmajor: 8, devminor: 0 }]),
    allowDevices: false,
    expect: 'ERR_IMAGE_LAYER_UNSAFE',
  },
  {
    name: 'device node when devices are allowed',
    layer: tar([{ name: 'sda', type: '4', devmajor: 8, devminor: 0 }]),
    allowDevices: true,
    expect: (fs) => assert.ok(lstatSync(join(fs, 'sda')).isBlockDevice()),
  },
  {
    name: 'pax header of 2 MiB',
    layer: tar([{ name: 'a', pax: { comment: 'x'.repeat(big) } }]),
    expect: 'ERR_IMAGE_LAYER_INVALID',
  },
  {
    name: 'name with a NUL byte',
    layer: tar([{ name: 'a', pax: { path: 'etc/\0passwd' } }]),
    expect: 'ERR_IMAGE_LAYER_INVALID',
  },
  {
    name: 'name longer than PATH_MAX',
    layer: tar([{ name: 'a', pax: { path: 'a/'.repeat(3000) } }]),
    expect: 'ERR_IMAGE_LAYER_INVALID',
  },
  {
    name: 'path component over 255 bytes',
    layer: tar([{ name: 'a', pax: { path: 'n'.repeat(300) } }]),
    expect: 'ERR_IMAGE_LAYER_INVALID',
  },
  {
    name: 'negative size',
    layer: tar([{ name: 'a', raw: [{ offset: 124, bytes: base256(-1n, 12) }] }]),
    expect: 'ERR_IMAGE_LAYER_INVALID',
  },
  {
    name: 'overflowing size',
    layer: tar([{ name: 'a', raw: [{ offset: 124, bytes: base256(1n << 90n, 12) }] }]),
    expect: 'ERR_IMAGE_LAYER_INVALID',
  },
  {
    name: 'truncated archive',
    layer: tar([{ name: 'a', body: 'x'.repeat(5000) }]).subarray(0, 2048),
    expect: 'ERR_IMAGE_LAYER_INVALID',
  },
  {
    name: 'bad checksum',
    layer: tar([{ name: 'a', body: 'x', checksumDelta: 3 }]),
    expect: 'ERR_IMAGE_LAYER_INVALID',
  },
  { name: 'sparse file', layer: tar([{ name: 'a', type: 'S' }]), expect: 'ERR_IMAGE_LAYER_INVALID' },
  {
    name: 'decompression bomb',
    layer: tar([{ name: 'zeros', body: Buffer.alloc(8 << 20) }]),
    maxBytes: 1 << 20,
    expect: 'ERR_IMAGE_LAYER_TOO_LARGE',
  },
  {
    name: 'not a layer at all',
    layer: Buffer.from('PK\x03\x04 a zip file, not a tar'.padEnd(600, '.')),
    uncompressed: true,
    expect: 'ERR_IMAGE_LAYER_COMPRESSION',
  },
];

/** Everything outside the store as it is now, plus the host's /etc. */
function outside(): string {
  const tree = describeTree(sentinel, { times: true });
  for (const key of Object.keys(tree))
    if (key === 'store' || key.startsWith('store/') || key === '.') delete tree[key];
  return JSON.stringify(tree) + hashOf('/etc/passwd') + readdirSync('/etc').sort().join('\n');
}

describe('hostile layers', () => {
  const before = outside();
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      const snapshotter = new OverlaySnapshotter(join(sentinel, 'store', String(i)));
      // A valid base layer below, so the hostile one unpacks as an overlay upper over a parent.
      const base = layer(
        tar([
          { name: 'etc/', type: '5' },
          { name: 'etc/hostname', body: 'base' },
        ] as EntrySpec[]),
      );
      const hostile = {
        ...layer(c.layer, 'none'),
        open: () => Readable.from([c.uncompressed ? c.layer : gzipSync(c.layer)]),
      };
      const request = {
        snapshotter,
        layers: [base, hostile],
        options: { allowDevices: c.allowDevices ?? true, maxBytes: c.maxBytes },
      };
      if (typeof c.expect === 'string') {
        const err = await unpackImage(request).then(
          () => assert.fail('unpack should have failed'),
          (e: unknown) => e as { code: string; message: string },
        );
        assert.equal(err.code, c.expect, err.message);
        const left = await snapshotter.list();
        assert.deepEqual(
          left.map((s) => s.kind),
          ['committed'],
          'only the base layer remains',
        );
        assert.deepEqual(
          readdirSync(join(snapshotter.root, 'snapshots')),
          ['1'],
          'no partial snapshot directory',
        );
      } else {
        const result = await unpackImage(request);
        const id = 2; // the hostile layer's snapshot directory
        assert.equal(result.layers.length, 2);
        c.expect(join(snapshotter.root, 'snapshots', String(id), 'fs'));
      }
      assert.equal(outside(), before, 'nothing outside the snapshot changed');
      assert.equal(hashOf('/etc/passwd'), etcPasswd);
      assert.equal(readdirSync('/etc').sort().join('\n'), etcListing);
      assert.equal(existsSync(join(sentinel, 'x')), false);
    });
  }
});
