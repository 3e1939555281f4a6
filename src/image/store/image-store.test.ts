import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Digest } from '../content/index.ts';
import { ImageStore } from './image-store.ts';
import type { ImageRecord } from './types.ts';

const d = (c: string): Digest => `sha256:${c.repeat(64)}`;

function record(id: string, names: string[]): ImageRecord {
  return {
    id: d(id),
    names,
    repoDigests: [],
    manifest: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: d(`${id}`.replace(/./, 'e')),
      size: 1,
    },
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d(id), size: 1 },
    layers: [],
    platform: { os: 'linux', architecture: 'amd64' },
    size: 1,
    sources: [],
    added: new Date().toISOString(),
  };
}

async function tempImages(t: { after(fn: () => Promise<void>): void }): Promise<ImageStore> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-images-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return new ImageStore(dir);
}

describe('ImageStore', () => {
  it('finds images by familiar name, full name and id prefix', async (t) => {
    const images = await tempImages(t);
    await images.put(record('a', ['docker.io/library/busybox:latest']));
    assert.equal((await images.get('busybox')).id, d('a'));
    assert.equal((await images.get('docker.io/library/busybox:latest')).id, d('a'));
    assert.equal((await images.get('aaaa')).id, d('a'));
    await assert.rejects(images.get('busybox:other'), { code: 'ERR_IMAGE_NOT_FOUND' });
  });

  it('moves a name to the image it is put on, and tags', async (t) => {
    const images = await tempImages(t);
    await images.put(record('a', ['docker.io/library/app:1']));
    await images.put(record('b', ['docker.io/library/app:1']));
    assert.deepEqual((await images.get('aaaa')).names, []);
    await images.tag('app:1', 'localhost:5000/app:2');
    assert.deepEqual((await images.get('bbbb')).names.sort(), [
      'docker.io/library/app:1',
      'localhost:5000/app:2',
    ]);
    await assert.rejects(images.tag('app:1', `app@${d('c')}`), { code: 'ERR_IMAGE_REFERENCE_INVALID' });
  });

  it('untags by name, deletes with the last name, and needs force to delete a multi-named image by id', async (t) => {
    const images = await tempImages(t);
    await images.put(record('a', ['docker.io/library/app:1', 'docker.io/library/app:2']));
    await assert.rejects(images.remove('aaaa'), { code: 'ERR_IMAGE_IN_USE' });
    assert.deepEqual(await images.remove('app:1'), {
      untagged: ['docker.io/library/app:1'],
      deleted: [],
      blobs: [],
    });
    const last = await images.remove('app:2');
    assert.deepEqual(last.deleted, [d('a')]);
    assert.ok(last.blobs.includes(d('a')));
    assert.deepEqual(await images.list(), []);
  });

  it('does not delete an image a running container uses, even with force; untagging one name is fine', async (t) => {
    const images = await tempImages(t);
    await images.put(record('a', ['docker.io/library/app:1', 'docker.io/library/app:2']));
    const usedBy = (id: Digest) => (id === d('a') ? 'c0ffee'.repeat(10) : undefined);
    await assert.rejects(images.remove('aaaa', { force: true, usedBy }), {
      code: 'ERR_IMAGE_IN_USE',
      message: /image aaaaaaaaaaaa \(aaaa\) is used by running container c0ffeec0ffee/,
    });
    assert.deepEqual((await images.remove('app:1', { usedBy })).untagged, ['docker.io/library/app:1']);
    await assert.rejects(images.remove('app:2', { usedBy }), { code: 'ERR_IMAGE_IN_USE' });
    assert.deepEqual((await images.get('aaaa')).names, ['docker.io/library/app:2']);
    assert.deepEqual((await images.remove('app:2', { usedBy: () => undefined })).deleted, [d('a')]);
  });

  it('keeps every update when writers race', async (t) => {
    const images = await tempImages(t);
    await Promise.all(
      ['1', '2', '3', '4', '5'].map((c) => images.put(record(c, [`docker.io/library/app:${c}`]))),
    );
    assert.equal((await images.list()).length, 5);
  });
});
