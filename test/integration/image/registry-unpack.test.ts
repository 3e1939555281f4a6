// Pull from docker-registry, then unpack the stored layers into overlay snapshots: the
// registry half and the unpack half of the image domain meet through `imageLayers`.
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ContentStore, ImageStore, imageLayers, pullImage, unpackImage } from '../../../src/image/index.ts';
import { OverlaySnapshotter } from '../../../src/storage/index.ts';
import { buildLayout, skopeoCopy, startRegistry, tempDir } from './registry-harness.ts';

describe('pull then unpack', () => {
  it('unpacks a pulled image into one committed snapshot per layer', async (t) => {
    const dir = await tempDir(t, 'pull-unpack');
    const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
    const [image] = await buildLayout(join(dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await skopeoCopy(image!.source, `docker://${registry.host}/unpack/app:v1`);
    const content = ContentStore.forStateDir(join(dir, 'state'));
    const images = ImageStore.forStateDir(join(dir, 'state'));
    const record = await pullImage({ reference: `${registry.host}/unpack/app:v1`, content, images });
    const snapshotter = new OverlaySnapshotter(join(dir, 'state', 'snapshots'));
    const result = await unpackImage({ snapshotter, layers: await imageLayers(record, content) });
    assert.equal(result.layers.length, 3);
    const committed = (await snapshotter.list()).filter((s) => s.kind === 'committed');
    assert.equal(committed.length, 3);
    const busybox = await stat(join(snapshotter.root, 'snapshots', '1', 'fs', 'bin', 'busybox'));
    assert.equal(busybox.size, (await stat('/bin/busybox')).size);
    assert.equal(
      await readFile(join(snapshotter.root, 'snapshots', '2', 'fs', 'etc', 'hello'), 'utf8'),
      'hello from berth\n',
    );
  });
});
