import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { base256, header, paxBody, tar } from '../../../test/fixtures/hostile-layers/tar-builder.ts';
import { type TarEntry, TarReader } from './reader.ts';

interface Read {
  entry: TarEntry;
  body: string;
}

/** Reads an archive, feeding it in chunks of `chunk` bytes to exercise every boundary. */
function read(archive: Buffer, chunk = archive.length): Read[] {
  const out: Read[] = [];
  let parts: Buffer[] = [];
  const reader = new TarReader({
    entry: (entry) => {
      parts = [];
      out.push({ entry, body: '' });
    },
    data: (c) => parts.push(Buffer.from(c)),
    entryEnd: () => {
      out[out.length - 1]!.body = Buffer.concat(parts).toString();
    },
  });
  for (let i = 0; i < archive.length; i += chunk) reader.push(archive.subarray(i, i + chunk));
  reader.end();
  return out;
}

const code = { code: 'ERR_IMAGE_LAYER_INVALID' };

describe('TarReader', () => {
  it('reads ustar entries of every type, whatever the chunking', () => {
    const archive = tar([
      { name: 'dir/', type: '5', mode: 0o755 },
      { name: 'dir/file', body: 'hello', mode: 0o4755, uid: 1000, gid: 1001 },
      { name: 'dir/link', type: '1', linkname: 'dir/file' },
      { name: 'sym', type: '2', linkname: '/etc/passwd' },
      { name: 'null', type: '3', devmajor: 1, devminor: 3 },
      { name: 'fifo', type: '6' },
      { name: 'long', prefix: 'a'.repeat(150), body: 'x'.repeat(1000) },
    ]);
    for (const chunk of [1, 7, 512, 513, 100_000]) {
      const entries = read(archive, chunk);
      assert.deepEqual(
        entries.map((e) => [e.entry.path, e.entry.type, e.body.length]),
        [
          ['dir/', 'dir', 0],
          ['dir/file', 'file', 5],
          ['dir/link', 'hardlink', 0],
          ['sym', 'symlink', 0],
          ['null', 'char', 0],
          ['fifo', 'fifo', 0],
          [`${'a'.repeat(150)}/long`, 'file', 1000],
        ],
      );
      const file = entries[1]!.entry;
      assert.equal(file.mode, 0o4755);
      assert.equal(file.uid, 1000);
      assert.equal(entries[4]!.entry.devminor, 3);
    }
  });

  it('applies pax records (path, linkpath, size, ids, fractional mtime, xattrs) and globals', () => {
    const global = paxBody({ uid: '77', 'SCHILY.xattr.user.g': 'global' });
    const archive = Buffer.concat([
      header({ name: 'g', type: 'g', size: global.length }),
      global,
      Buffer.alloc(512 - global.length),
      tar([
        {
          name: 'short',
          body: 'abc',
          pax: {
            path: `deep/${'n'.repeat(300)}`,
            mtime: '1700000000.25',
            gid: '4000000000',
            uname: 'üser',
            'SCHILY.xattr.security.capability': Buffer.from([1, 0, 0, 2]),
          },
        },
        { name: 'sym', type: '2', linkname: 'x', pax: { linkpath: 'l'.repeat(200) } },
        { name: 'plain', body: 'z' },
      ]),
    ]);
    const [first, second, third] = read(archive, 100);
    assert.equal(first!.entry.path, `deep/${'n'.repeat(300)}`);
    assert.equal(first!.entry.mtime, 1700000000.25);
    assert.equal(first!.entry.gid, 4000000000);
    assert.equal(first!.entry.uid, 77);
    assert.equal(first!.entry.uname, 'üser');
    assert.deepEqual([...first!.entry.xattrs.keys()], ['user.g', 'security.capability']);
    assert.deepEqual(first!.entry.xattrs.get('security.capability'), Buffer.from([1, 0, 0, 2]));
    assert.equal(first!.body, 'abc');
    assert.equal(second!.entry.linkname, 'l'.repeat(200));
    assert.equal(third!.entry.path, 'plain', 'pax records apply to the next entry only');
    assert.equal(third!.entry.uid, 77, 'global records apply to every later entry');
  });

  it('reads GNU long names and links and base-256 numbers', () => {
    const name = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const link = 't'.repeat(300);
    const archive = tar([
      { name: '././@LongLink', type: 'L', body: `${name}\0`, format: 'gnu' },
      { name: name.slice(0, 99), body: 'gnu', format: 'gnu' },
      { name: '././@LongLink', type: 'K', body: `${link}\0`, format: 'gnu' },
      {
        name: 's',
        type: '2',
        format: 'gnu',
        raw: [{ offset: 108, bytes: base256(3_000_000_000n, 8) }],
      },
    ]);
    const [file, sym] = read(archive, 3);
    assert.equal(file!.entry.path, name);
    assert.equal(file!.body, 'gnu');
    assert.equal(sym!.entry.linkname, link);
    assert.equal(sym!.entry.uid, 3_000_000_000);
  });

  it('rejects malformed and hostile headers naming the entry', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['bad checksum', tar([{ name: 'a', checksumDelta: 1 }]), /checksum mismatch.*entry #1/],
      [
        'pax of 2 MiB',
        tar([{ name: 'a', pax: { comment: 'x'.repeat(2 << 20) } }]),
        /pax header of \d+ bytes/,
      ],
      ['long name', tar([{ name: 'a', type: 'L', body: 'x'.repeat(5000) }]), /GNU long name/],
      ['pax path over 4096', tar([{ name: 'a', pax: { path: 'p'.repeat(5000) } }]), /longer than 4096/],
      ['NUL in pax path', tar([{ name: 'a', pax: { path: 'a\0b' } }]), /NUL byte/],
      [
        'negative size',
        tar([{ name: 'a', raw: [{ offset: 124, bytes: base256(-5n, 12) }] }]),
        /size is negative/,
      ],
      [
        'overflowing size',
        tar([{ name: 'a', raw: [{ offset: 124, bytes: base256(1n << 80n, 12) }] }]),
        /size overflows/,
      ],
      ['pax size not a number', tar([{ name: 'a', pax: { size: '-1' } }]), /pax size is not/],
      ['sparse', tar([{ name: 'a', type: 'S' }]), /GNU sparse files not supported/],
      ['unknown type', tar([{ name: 'a', type: 'Z' }]), /entry type 'Z' not supported/],
      ['truncated body', tar([{ name: 'a', body: 'x'.repeat(2000) }]).subarray(0, 1024), /truncated/],
      ['garbage', Buffer.alloc(512, 0x41), /checksum/],
      [
        'non-UTF-8 name',
        tar([{ name: 'a', raw: [{ offset: 0, bytes: Buffer.from([0xff, 0xfe]) }] }]),
        /UTF-8/,
      ],
    ];
    for (const [what, archive, message] of cases) {
      assert.throws(() => read(archive, 4096), { ...code, message }, what);
    }
  });

  it('accepts an archive ending without the zero blocks and ignores bytes after them', () => {
    assert.equal(read(tar([{ name: 'a', body: 'x' }], { end: false })).length, 1);
    const trailing = Buffer.concat([tar([{ name: 'a' }]), Buffer.alloc(4096, 7)]);
    assert.equal(read(trailing).length, 1);
  });

  it('reads archives written by GNU tar (pax and gnu formats) and busybox tar', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-tar-'));
    try {
      const root = join(dir, 'root');
      const deep = join(root, 'd'.repeat(100), 'e'.repeat(100));
      mkdirSync(deep, { recursive: true });
      writeFileSync(join(deep, 'f'.repeat(120)), 'content');
      symlinkSync('l'.repeat(150), join(root, 'sym'));
      for (const [tool, args] of [
        ['tar', ['--format=pax', '-cf', '-', '-C', root, '.']],
        ['tar', ['--format=gnu', '-cf', '-', '-C', root, '.']],
        ['busybox', ['tar', '-cf', '-', '-C', root, '.']],
      ] as const) {
        const entries = read(execFileSync(tool, args, { maxBuffer: 1 << 26 }), 1000);
        const file = entries.find((e) => e.entry.path.endsWith('f'.repeat(120)));
        assert.equal(file?.body, 'content', `${tool} ${args[0]}`);
        const sym = entries.find((e) => e.entry.path === './sym');
        assert.equal(sym?.entry.linkname, 'l'.repeat(150), `${tool} ${args[0]}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
