// Load and save against real peers: skopeo writes the archives Berth loads and reads the ones it
// saves, umoci unpacks Berth's OCI layouts, and a private dockerd loads Berth's docker archive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildBusyboxImage, loadImages, localHost, saveImages } from '../../../src/image/index.ts';
import { startDockerd } from '../peers/docker.ts';
import { readJsonFile, storesIn } from './archive-harness.ts';
import { buildLayout, run, tempDir } from './registry-harness.ts';

const exec = promisify(execFile);

async function seeded(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'archive');
  const [image] = await buildLayout(join(dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
  return { dir, image: image!, layout: join(dir, 'src', 'layout') };
}

test('loads skopeo docker-archive, oci-archive (gzip-compressed too) and oci: directory', async (t) => {
  const { dir, image, layout } = await seeded(t);
  await run('skopeo', [
    'copy',
    '--quiet',
    image.source,
    `docker-archive:${dir}/d.tar:example.com/team/app:v1`,
  ]);
  await run('skopeo', ['copy', '--quiet', image.source, `oci-archive:${dir}/o.tar:v1`]);
  await writeFile(
    join(dir, 'o.tar.gz'),
    gzipSync(await import('node:fs/promises').then((f) => f.readFile(join(dir, 'o.tar')))),
  );

  const stores = storesIn(join(dir, 'state'));
  const docker = await loadImages({ input: join(dir, 'd.tar'), ...stores });
  assert.equal(docker.images.length, 1);
  assert.equal(docker.images[0]!.id, image.configDigest, 'the config is carried over byte for byte');
  assert.deepEqual(docker.images[0]!.names, ['example.com/team/app:v1']);

  for (const input of [join(dir, 'o.tar'), join(dir, 'o.tar.gz'), layout]) {
    const { images } = await loadImages({ input, ...storesIn(join(dir, `state-${input.length}`)) });
    assert.equal(images.length, 1, input);
    assert.equal(images[0]!.manifest.digest, image.manifestDigest, `${input}: manifest digest kept`);
    assert.deepEqual(
      images[0]!.layers.map((l) => l.digest),
      image.layerDigests,
    );
  }
});

test('save: skopeo and umoci read what Berth writes, digests match', async (t) => {
  const { dir, image, layout } = await seeded(t);
  const stores = storesIn(join(dir, 'state'));
  await run('skopeo', ['copy', '--quiet', image.source, `oci:${dir}/named:x`]);
  await loadImages({ input: layout, ...stores });
  await stores.images.tag(image.configDigest, 'localhost:5000/app:v1');
  const busybox = await buildBusyboxImage({ ...stores, host: localHost });

  await saveImages({
    refs: ['localhost:5000/app:v1', 'busybox'],
    ...stores,
    format: 'oci-dir',
    output: join(dir, 'oci'),
  });
  const inspected = JSON.parse((await run('skopeo', ['inspect', `oci:${dir}/oci:v1`])).stdout);
  assert.equal(inspected.Digest, image.manifestDigest);
  assert.deepEqual(inspected.Layers, image.layerDigests);
  await run('umoci', ['unpack', '--image', `${dir}/oci:latest`, join(dir, 'bundle')]);
  await exec('chroot', [join(dir, 'bundle', 'rootfs'), '/bin/busybox', 'true']);

  await saveImages({ refs: ['localhost:5000/app:v1'], ...stores, format: 'oci', output: join(dir, 'o.tar') });
  const fromTar = JSON.parse((await run('skopeo', ['inspect', `oci-archive:${dir}/o.tar:v1`])).stdout);
  assert.equal(fromTar.Digest, image.manifestDigest);

  await saveImages({
    refs: ['busybox', 'localhost:5000/app:v1'],
    ...stores,
    format: 'docker',
    output: join(dir, 'd.tar'),
  });
  const dockerArchive = JSON.parse(
    (await run('skopeo', ['inspect', `docker-archive:${dir}/d.tar:busybox:latest`])).stdout,
  );
  assert.deepEqual(dockerArchive.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  assert.equal(dockerArchive.Layers.length, busybox.layers.length);

  // Round trip through Berth: same image IDs and manifests in a fresh store.
  const again = await loadImages({ input: join(dir, 'd.tar'), ...storesIn(join(dir, 'state2')) });
  assert.deepEqual(
    again.images.map((i) => [i.id, i.manifest.digest, i.names]).sort(),
    [
      [busybox.id, busybox.manifest.digest, ['docker.io/library/busybox:latest']],
      [image.configDigest, image.manifestDigest, ['localhost:5000/app:v1']],
    ].sort(),
  );
  assert.deepEqual(
    await readdir(dir).then((n) => n.filter((x) => x.includes('.tmp'))),
    [],
    'no temp files left',
  );
});

test("Debian's docker load accepts Berth's docker archive and runs the image", async (t) => {
  const dir = await tempDir(t, 'archive-docker');
  const stores = storesIn(join(dir, 'state'));
  await buildBusyboxImage({ ...stores, host: localHost });
  await saveImages({ refs: ['busybox'], ...stores, format: 'docker', output: join(dir, 'bb.tar') });
  const dockerd = await startDockerd({});
  t.after(() => dockerd.stop());
  const docker = async (args: string[]) => {
    const r = await dockerd.docker(args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  assert.match(await docker(['load', '-i', join(dir, 'bb.tar')]), /Loaded image: busybox:latest/);
  const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox:latest'])).trim();
  const [busybox] = await stores.images.list();
  assert.equal(id, busybox!.id, 'docker computes the same image ID');
  const out = await docker(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo ran in docker']);
  assert.equal(out.trim(), 'ran in docker');
});

test('import: a rootfs tarball becomes a one-layer image with --change settings', async (t) => {
  const dir = await tempDir(t, 'archive-import');
  const root = join(dir, 'root');
  await mkdir(join(root, 'bin'), { recursive: true });
  await exec('cp', ['/bin/busybox', join(root, 'bin', 'busybox')]);
  await exec('tar', ['-C', root, '-czf', join(dir, 'rootfs.tgz'), '.']);
  const stores = storesIn(join(dir, 'state'));
  const { importRootfs } = await import('../../../src/image/index.ts');
  const record = await importRootfs({
    input: join(dir, 'rootfs.tgz'),
    reference: 'imported:1',
    changes: ['ENV PATH=/bin', 'CMD ["/bin/busybox", "sh"]', 'WORKDIR /tmp'],
    ...stores,
  });
  assert.deepEqual(record.names, ['docker.io/library/imported:1']);
  const config = JSON.parse((await stores.content.readBytes(record.config.digest)).toString());
  assert.deepEqual(config.config, { Env: ['PATH=/bin'], Cmd: ['/bin/busybox', 'sh'], WorkingDir: '/tmp' });
  const { stdout: plain } = await exec('sh', ['-c', `gzip -dc ${join(dir, 'rootfs.tgz')} | sha256sum`]);
  assert.equal(config.rootfs.diff_ids[0], `sha256:${plain.split(' ')[0]}`, 'diff_id is the uncompressed tar');
  await saveImages({ refs: ['imported:1'], ...stores, format: 'oci-dir', output: join(dir, 'oci') });
  await run('umoci', ['unpack', '--image', `${dir}/oci:1`, join(dir, 'bundle')]);
  await exec('chroot', [join(dir, 'bundle', 'rootfs'), '/bin/busybox', 'true']);
  const index = await readJsonFile<{ manifests: unknown[] }>(join(dir, 'oci', 'index.json'));
  assert.equal(index.manifests.length, 1);
});
