import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type TarEntry, TarReader } from '../tar/index.ts';
import { diffTar, isEmptyDiff } from './diff.ts';
import type { BuildSyscalls } from './syscalls.ts';

/** xattrs from a table instead of the kernel (trusted.* needs root). */
function fakeXattrs(table: Record<string, Record<string, string>>): BuildSyscalls {
  return {
    mount: () => assert.fail('no mounts here'),
    unmount: () => assert.fail('no mounts here'),
    listXattrs: (path) => Object.keys(table[path] ?? {}),
    getXattr: (path, name) => {
      const value = table[path]?.[name];
      return value === undefined ? undefined : Buffer.from(value);
    },
  };
}

async function entriesOf(tar: AsyncIterable<Buffer>): Promise<{ entry: TarEntry; body: string }[]> {
  const out: { entry: TarEntry; body: string }[] = [];
  const reader = new TarReader({
    entry: (entry) => out.push({ entry, body: '' }),
    data: (chunk) => {
      out[out.length - 1]!.body += chunk.toString();
    },
    entryEnd: () => {},
  });
  for await (const chunk of tar) reader.push(chunk);
  reader.end();
  return out;
}

test('an upper dir becomes a sorted layer: opaque dirs, hardlinks, symlinks, xattrs, no overlay xattrs', async (t) => {
  const upper = mkdtempSync(join(tmpdir(), 'berth-diff-'));
  t.after(() => rmSync(upper, { recursive: true, force: true }));
  assert.equal(await isEmptyDiff(upper), true);
  mkdirSync(join(upper, 'etc'));
  mkdirSync(join(upper, 'app'));
  writeFileSync(join(upper, 'app/b.txt'), 'bee');
  linkSync(join(upper, 'app/b.txt'), join(upper, 'app/a-link'));
  symlinkSync('b.txt', join(upper, 'app/sym'));
  writeFileSync(join(upper, 'etc/conf'), 'x'.repeat(3000));
  const sys = fakeXattrs({
    [join(upper, 'etc')]: { 'trusted.overlay.opaque': 'y', 'trusted.overlay.origin': 'o' },
    [join(upper, 'etc/conf')]: { 'user.note': 'kept' },
  });
  const entries = await entriesOf(diffTar(upper, sys));
  assert.deepEqual(
    entries.map((e) => [e.entry.path, e.entry.type]),
    [
      ['app/', 'dir'],
      ['app/a-link', 'file'],
      ['app/b.txt', 'hardlink'],
      ['app/sym', 'symlink'],
      ['etc/', 'dir'],
      ['etc/.wh..wh..opq', 'file'],
      ['etc/conf', 'file'],
    ],
  );
  const byPath = new Map(entries.map((e) => [e.entry.path.replace(/\/$/, ''), e]));
  assert.equal(byPath.get('app/a-link')!.body, 'bee');
  assert.equal(byPath.get('app/b.txt')!.entry.linkname, 'app/a-link');
  assert.equal(byPath.get('app/sym')!.entry.linkname, 'b.txt');
  assert.equal(byPath.get('etc/conf')!.body.length, 3000);
  assert.equal(byPath.get('etc/conf')!.entry.xattrs.get('user.note')?.toString(), 'kept');
  assert.equal(byPath.get('etc')!.entry.xattrs.size, 0, 'overlay bookkeeping stays out');
});
