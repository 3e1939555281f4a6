import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lock } from '../../core/index.ts';
import { OverlaySnapshotter } from '../../storage/index.ts';
import { ContentStore, type Digest } from '../content/index.ts';
import { chainIds, upperDir } from '../unpack/index.ts';
import { ImageStore } from './image-store.ts';
import { buildLockPath, collectSnapshots, snapshotLockPath } from './snapshot-gc.ts';

const diff = (name: string): Digest => `sha256:${createHash('sha256').update(name).digest('hex')}`;

interface Env {
  stateDir: string;
  snapshotter: OverlaySnapshotter;
  images: ImageStore;
  content: ContentStore;
}

async function tempState(t: { after(fn: () => Promise<void>): void }): Promise<Env> {
  const stateDir = await mkdtemp(join(tmpdir(), 'berth-snapgc-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  return {
    stateDir,
    snapshotter: new OverlaySnapshotter(join(stateDir, 'snapshots', 'overlay')),
    images: ImageStore.forStateDir(stateDir),
    content: ContentStore.forStateDir(stateDir),
  };
}

/** Records an image with these layers (by name) and returns its ID and chain IDs. */
async function addImage(env: Env, name: string, layers: string[]): Promise<{ id: Digest; chain: string[] }> {
  const diffIds = layers.map(diff);
  const config = { os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: diffIds } };
  const blob = await env.content.write(Buffer.from(JSON.stringify(config)));
  const descriptor = (mediaType: string) => ({ mediaType, digest: blob.digest, size: blob.size });
  await env.images.put({
    id: blob.digest,
    names: [`docker.io/library/${name}:latest`],
    repoDigests: [],
    manifest: descriptor('application/vnd.oci.image.manifest.v1+json'),
    config: descriptor('application/vnd.oci.image.config.v1+json'),
    layers: layers.map(() => descriptor('application/vnd.oci.image.layer.v1.tar')),
    platform: { os: 'linux', architecture: 'amd64' },
    size: 1,
    sources: [],
    added: new Date().toISOString(),
  });
  return { id: blob.digest, chain: chainIds(diffIds) };
}

/** Unpacks (as unpackImage does: extract-…, commit) each missing layer, with a file of `bytes`. */
async function unpack(env: Env, chain: string[], bytes = 16384): Promise<void> {
  for (const [i, key] of chain.entries()) {
    if ((await env.snapshotter.list()).some((s) => s.key === key)) continue;
    const mounts = await env.snapshotter.prepare(`extract-${i} ${key}`, chain[i - 1]);
    await writeFile(join(upperDir(mounts), 'data'), Buffer.alloc(bytes, i + 1));
    await env.snapshotter.commit(key, `extract-${i} ${key}`);
  }
}

const keys = async (env: Env) => (await env.snapshotter.list()).map((s) => s.key).sort();

describe('collectSnapshots', () => {
  it('after rmi frees only the layers of the removed image that no other image uses', async (t) => {
    const env = await tempState(t);
    const app = await addImage(env, 'app', ['base', 'libs', 'app']);
    const web = await addImage(env, 'web', ['base', 'libs', 'web']);
    const other = await addImage(env, 'other', ['other']);
    await unpack(env, app.chain);
    await unpack(env, web.chain);
    await unpack(env, other.chain);
    await env.images.remove(other.id);
    const removed = await env.images.remove('app');
    const result = await collectSnapshots({ ...env, onlyImages: removed.deleted });
    assert.deepEqual(result.removed, [app.chain[2]]);
    assert.ok(result.freedBytes >= 16384, `freed ${result.freedBytes}`);
    assert.equal(result.skipped, undefined);
    // other's layer is no image's either, but rmi was not about it: prune takes it.
    assert.deepEqual(await keys(env), [...web.chain, ...other.chain].sort());
  });

  it('on prune frees every layer no image needs, children before parents, and orphan directories', async (t) => {
    const env = await tempState(t);
    const app = await addImage(env, 'app', ['base', 'libs', 'app']);
    const base = await addImage(env, 'base', ['base']);
    await unpack(env, app.chain);
    const intermediate = chainIds([diff('base'), diff('libs'), diff('step')]);
    await unpack(env, intermediate);
    await env.images.remove('app');
    const orphan = join(env.snapshotter.root, 'snapshots', '99');
    await mkdir(join(orphan, 'fs'), { recursive: true });
    const result = await collectSnapshots(env);
    assert.equal(result.removed.length, 3);
    assert.ok(
      result.removed.indexOf(app.chain[1]!) > result.removed.indexOf(app.chain[2]!) &&
        result.removed.indexOf(app.chain[1]!) > result.removed.indexOf(intermediate[2]!),
      `order: ${result.removed.join(' ')}`,
    );
    assert.ok(result.freedBytes >= 3 * 16384);
    assert.equal(result.orphansRemoved, 1);
    assert.equal(existsSync(orphan), false);
    assert.deepEqual(await keys(env), base.chain);
    assert.equal((await readdir(join(env.snapshotter.root, 'snapshots'))).length, 1);
    assert.deepEqual(await collectSnapshots(env), { removed: [], freedBytes: 0, orphansRemoved: 0 });
  });

  it('keeps whatever an active snapshot or a view builds on', async (t) => {
    const env = await tempState(t);
    const app = await addImage(env, 'app', ['base', 'app']);
    const tool = await addImage(env, 'tool', ['tool', 'bin']);
    await unpack(env, app.chain);
    await unpack(env, tool.chain);
    await env.snapshotter.prepare('run-x', app.chain[1]);
    await env.snapshotter.view('view-y', tool.chain[0]);
    await env.images.remove('app');
    await env.images.remove('tool');
    const result = await collectSnapshots(env);
    assert.deepEqual(result.removed, [tool.chain[1]]);
    assert.deepEqual(await keys(env), [...app.chain, tool.chain[0]!, 'run-x', 'view-y'].sort());
  });

  it('leaves every layer while a build holds its lock, and waits for the snapshot lock', async (t) => {
    const env = await tempState(t);
    const app = await addImage(env, 'app', ['base']);
    await unpack(env, app.chain);
    await env.images.remove('app');
    await mkdir(join(env.stateDir, 'build'), { recursive: true });
    const build = await lock(buildLockPath(env.stateDir));
    const skipped = await collectSnapshots(env);
    assert.deepEqual(skipped, {
      removed: [],
      freedBytes: 0,
      orphansRemoved: 0,
      skipped: 'a build is running',
    });
    assert.deepEqual(await keys(env), app.chain);
    await build.release();

    await mkdir(join(env.stateDir, 'snapshots'), { recursive: true });
    const run = await lock(snapshotLockPath(env.stateDir));
    await assert.rejects(collectSnapshots({ ...env, lockTimeoutMs: 50 }), {
      code: 'ERR_IMAGE_SNAPSHOTS_BUSY',
    });
    assert.deepEqual(await keys(env), app.chain);
    await run.release();
    assert.deepEqual((await collectSnapshots(env)).removed, app.chain);
    assert.equal(existsSync(buildLockPath(env.stateDir)), false, 'the build lock is released');
    assert.equal(existsSync(snapshotLockPath(env.stateDir)), false, 'the snapshot lock is released');
  });

  it('on prune removes what an unpack killed mid-layer left, and then the layer under it', async (t) => {
    const env = await tempState(t);
    const app = await addImage(env, 'app', ['base', 'app']);
    await unpack(env, app.chain.slice(0, 1));
    // Killed while writing the second layer: its extract-… snapshot was never committed.
    const mounts = await env.snapshotter.prepare(`extract-1 ${app.chain[1]}`, app.chain[0]);
    await writeFile(join(upperDir(mounts), 'half'), Buffer.alloc(8192, 1));
    const kept = await collectSnapshots({ ...env, onlyImages: [app.id] });
    assert.deepEqual(kept.removed, [], 'rmi is about image layers only');
    await env.images.remove('app');
    const result = await collectSnapshots(env);
    assert.deepEqual(result.removed, [`extract-1 ${app.chain[1]}`, app.chain[0]]);
    assert.ok(result.freedBytes >= 8192 + 16384, `freed ${result.freedBytes}`);
    assert.deepEqual(await keys(env), []);
  });

  it('removes nothing when an image config cannot be read', async (t) => {
    const env = await tempState(t);
    const app = await addImage(env, 'app', ['base']);
    const gone = await addImage(env, 'gone', ['other']);
    await unpack(env, app.chain);
    await env.images.remove('app');
    await env.content.delete(gone.id);
    await assert.rejects(collectSnapshots(env), {
      code: 'ERR_IMAGE_SNAPSHOT_GC_FAILED',
      message: /cannot tell/,
    });
    assert.deepEqual(await keys(env), app.chain);
    assert.equal(existsSync(snapshotLockPath(env.stateDir)), false);
  });
});
