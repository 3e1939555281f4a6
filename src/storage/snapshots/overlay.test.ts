import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { OverlaySnapshotter } from './overlay.ts';

describe('OverlaySnapshotter', () => {
  let root: string;
  let s: OverlaySnapshotter;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-snap-'));
    s = new OverlaySnapshotter(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const fs = (n: number) => join(root, 'snapshots', String(n), 'fs');

  it('returns a writable bind for a snapshot without parent and overlay options over parents', async () => {
    assert.deepEqual(await s.prepare('a'), [{ type: 'bind', source: fs(1), options: ['rw', 'rbind'] }]);
    await s.commit('A', 'a');
    await s.prepare('b', 'A');
    await s.commit('B', 'b');
    const mounts = await s.prepare('c', 'B');
    assert.deepEqual(mounts, [
      {
        type: 'overlay',
        source: 'overlay',
        options: [
          `workdir=${join(root, 'snapshots/3/work')}`,
          `upperdir=${fs(3)}`,
          `lowerdir=${fs(2)}:${fs(1)}`,
        ],
      },
    ]);
    assert.deepEqual(await s.mounts('c'), mounts);
  });

  it('gives read-only views: a bind for one layer, lowerdirs only for several', async () => {
    await s.prepare('a');
    await s.commit('A', 'a');
    assert.deepEqual(await s.view('v1', 'A'), [{ type: 'bind', source: fs(1), options: ['ro', 'rbind'] }]);
    await s.prepare('b', 'A');
    await s.commit('B', 'b');
    assert.deepEqual(await s.view('v2', 'B'), [
      { type: 'overlay', source: 'overlay', options: [`lowerdir=${fs(3)}:${fs(1)}`] },
    ]);
  });

  it('enforces the lifecycle with clear errors', async () => {
    await s.prepare('a');
    await assert.rejects(s.prepare('a'), { code: 'ERR_STORAGE_SNAPSHOT_EXISTS' });
    await assert.rejects(s.prepare('b', 'a'), {
      code: 'ERR_STORAGE_SNAPSHOT_STATE',
      message: /not committed/,
    });
    await assert.rejects(s.prepare('b', 'missing'), { code: 'ERR_STORAGE_SNAPSHOT_NOT_FOUND' });
    await s.commit('A', 'a');
    await assert.rejects(s.commit('A2', 'A'), { code: 'ERR_STORAGE_SNAPSHOT_STATE' });
    await assert.rejects(s.mounts('A'), { code: 'ERR_STORAGE_SNAPSHOT_STATE' });
    await s.prepare('b', 'A');
    await assert.rejects(s.remove('A'), { code: 'ERR_STORAGE_SNAPSHOT_STATE', message: /parent of b/ });
    await s.remove('b');
    await s.remove('A');
    assert.deepEqual(await s.list(), []);
    assert.deepEqual(readdirSync(join(root, 'snapshots')), []);
  });

  it('lists, stats and measures usage, counting hardlinked inodes once', async () => {
    await s.prepare('a');
    writeFileSync(join(fs(1), 'f'), Buffer.alloc(8192, 1));
    const info = await s.stat('a');
    assert.equal(info.kind, 'active');
    assert.equal(info.parent, undefined);
    const usage = await s.usage('a');
    assert.equal(usage.inodes, 1);
    assert.ok(usage.size >= 8192);
    assert.deepEqual(
      (await s.list()).map((i) => i.key),
      ['a'],
    );
  });

  it('survives a new instance over the same root and cleans orphan directories', async () => {
    await s.prepare('a');
    await s.commit('A', 'a');
    const again = new OverlaySnapshotter(root);
    assert.equal((await again.stat('A')).kind, 'committed');
    writeFileSync(join(root, 'snapshots', '99'), '');
    assert.equal(await again.cleanup(), 1);
    assert.equal(existsSync(join(root, 'snapshots', '99')), false);
    assert.equal(existsSync(fs(1)), true);
  });

  it('refuses chains whose overlay options would not fit in a page', async () => {
    let parent: string | undefined;
    const deep = new OverlaySnapshotter(join(root, 'x'.repeat(200)));
    for (let i = 0; ; i++) {
      const refused = await deep.prepare(`k${i}`, parent).then(
        () => undefined,
        (err: unknown) => err,
      );
      if (refused !== undefined) {
        assert.equal((refused as { code: string }).code, 'ERR_STORAGE_SNAPSHOT_TOO_DEEP');
        assert.ok(i > 10, `refused at depth ${i}`);
        assert.equal(readdirSync(join(deep.root, 'snapshots')).length, i, 'no directory for the refused one');
        break;
      }
      await deep.commit(`c${i}`, `k${i}`);
      parent = `c${i}`;
    }
  });

  it('keeps every record when several processes change the records at once', async () => {
    // Each process prepares and commits its own snapshots; a read-modify-write that overlapped
    // another process's would drop that process's records.
    const script = (name: string) =>
      `const { OverlaySnapshotter } = await import(${JSON.stringify(join(import.meta.dirname, 'overlay.ts'))});
       const s = new OverlaySnapshotter(${JSON.stringify(root)});
       for (let i = 0; i < 15; i++) { await s.prepare('${name}-' + i); await s.commit('${name}-c' + i, '${name}-' + i); }`;
    const child = (name: string) =>
      new Promise<number | null>((resolve) => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', script(name)], { stdio: 'inherit' });
        p.on('exit', resolve);
      });
    assert.deepEqual(await Promise.all([child('x'), child('y'), child('z')]), [0, 0, 0]);
    const keys = (await s.list()).map((i) => i.key).sort();
    assert.equal(keys.length, 45, `records kept: ${keys.join(' ')}`);
    assert.equal(readdirSync(join(root, 'snapshots')).length, 45);
    assert.equal(await s.cleanup(), 0);
  });
});
