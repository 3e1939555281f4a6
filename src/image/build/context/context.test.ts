import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../../../core/index.ts';
import { compileIgnore } from './ignore.ts';
import { hashSources, selectSources } from './sources.ts';
import { resolveInTree } from './tree.ts';

test('.dockerignore: wildcards, ** and ! exceptions, last match wins, parents match children', () => {
  const m = compileIgnore('# comment\n*.log\n!keep.log\nbuild\n**/tmp\ndocs/**/*.md\n/abs\n');
  assert.equal(m.ignored('a.log'), true);
  assert.equal(m.ignored('keep.log'), false);
  assert.equal(m.ignored('sub/a.log'), false, '* does not cross /');
  assert.equal(m.ignored('build'), true);
  assert.equal(m.ignored('build/x/y'), true, 'a matched directory covers its contents');
  assert.equal(m.ignored('tmp'), true);
  assert.equal(m.ignored('a/b/tmp/c'), true);
  assert.equal(m.ignored('docs/readme.md'), true);
  assert.equal(m.ignored('docs/a/b/readme.md'), true);
  assert.equal(m.ignored('docs/readme.txt'), false);
  assert.equal(m.ignored('abs'), true);
  assert.equal(m.ignored('src/main.ts'), false);
  assert.equal(m.hasExceptions, true);
});

function context(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src/sub'), { recursive: true });
  writeFileSync(join(dir, 'src/a.txt'), 'a');
  writeFileSync(join(dir, 'src/b.log'), 'b');
  writeFileSync(join(dir, 'src/sub/c.txt'), 'c');
  symlinkSync('a.txt', join(dir, 'src/link'));
  symlinkSync('/etc', join(dir, 'out-abs'));
  symlinkSync('../..', join(dir, 'src/out-rel'));
  symlinkSync('src', join(dir, 'in'));
  return dir;
}

function escapeCode(fn: () => unknown): void {
  assert.throws(fn, (e: Error) => e instanceof BerthError && e.code === 'ERR_IMAGE_BUILD_CONTEXT_ESCAPE');
}

test('sources: directories walked without following symlinks, ignored files skipped', (t) => {
  const root = context(t);
  const [src] = selectSources({ kind: 'context', root, ignore: compileIgnore('*.log\nsrc/*.log') }, ['src']);
  assert.equal(src!.isDir, true);
  assert.deepEqual(
    src!.entries.map((e) => [e.dest, e.link ?? '']),
    [
      ['a.txt', ''],
      ['link', 'a.txt'],
      ['out-rel', '../..'],
      ['sub', ''],
      ['sub/c.txt', ''],
    ],
  );
  const globbed = selectSources({ kind: 'context', root }, ['src/*.txt', 'in/sub/c.txt']);
  assert.deepEqual(
    globbed.map((s) => s.name),
    ['a.txt', 'c.txt'],
  );
});

test('sources: .. and symlinks that leave the context are refused', (t) => {
  const root = context(t);
  const tree = { kind: 'context' as const, root };
  escapeCode(() => selectSources(tree, ['../etc/passwd']));
  escapeCode(() => selectSources(tree, ['src/../../x']));
  escapeCode(() => selectSources(tree, ['out-abs/passwd']));
  escapeCode(() => selectSources(tree, ['src/out-rel/etc/passwd']));
  assert.throws(
    () => selectSources({ ...tree, ignore: compileIgnore('src/a.txt') }, ['src/a.txt']),
    (e: Error) => e instanceof BerthError && e.code === 'ERR_IMAGE_BUILD_SOURCE_NOT_FOUND',
  );
});

test('rootfs trees keep absolute symlinks and .. inside the root', (t) => {
  const root = context(t);
  const tree = { kind: 'rootfs' as const, root };
  assert.equal(resolveInTree(tree, '/out-abs/passwd'), 'etc/passwd');
  assert.equal(resolveInTree(tree, '../../src/out-rel/x'), 'x');
  assert.equal(resolveInTree(tree, 'in/link', { followFinal: true }), 'src/a.txt');
});

test('the source hash changes with content', async (t) => {
  const root = context(t);
  const tree = { kind: 'context' as const, root };
  const before = await hashSources(selectSources(tree, ['src']));
  assert.equal(await hashSources(selectSources(tree, ['src'])), before);
  writeFileSync(join(root, 'src/sub/c.txt'), 'changed');
  assert.notEqual(await hashSources(selectSources(tree, ['src'])), before);
});
