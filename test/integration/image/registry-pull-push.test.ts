// Pull from and push to Debian's docker-registry (anonymous, htpasswd basic auth, token auth),
// with skopeo as the independent client that seeds images and reads back what Berth pushed.
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ContentStore,
  CredentialStore,
  collectGarbage,
  digestOf,
  ImageStore,
  loginRegistry,
  parseImageConfig,
  pullImage,
  pushImage,
  type TransferProgress,
} from '../../../src/image/index.ts';
import {
  buildLayout,
  readJson,
  run,
  skopeoCopy,
  startRegistry,
  startTokenServer,
  tempDir,
} from './registry-harness.ts';

const stores = (dir: string) => ({
  content: ContentStore.forStateDir(dir),
  images: ImageStore.forStateDir(dir),
});

describe('registry pull and push (docker-registry 2.8, no auth)', () => {
  it('pulls a seeded image: blobs verified on disk, config parsed, recorded in the image store', async (t) => {
    const dir = await tempDir(t, 'reg');
    const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
    const [image] = await buildLayout(join(dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await skopeoCopy(image!.source, `docker://${registry.host}/test/busybox:v1`);
    const { content, images } = stores(join(dir, 'state'));
    const events: TransferProgress[] = [];
    const record = await pullImage({
      reference: `${registry.host}/test/busybox:v1`,
      content,
      images,
      onProgress: (e) => events.push(e),
    });
    assert.equal(record.manifest.digest, image!.manifestDigest);
    assert.equal(record.id, image!.configDigest);
    assert.deepEqual(
      record.layers.map((l) => l.digest),
      image!.layerDigests,
    );
    assert.deepEqual(record.names, [`${registry.host}/test/busybox:v1`]);
    for (const digest of [image!.configDigest, image!.manifestDigest, ...image!.layerDigests]) {
      const bytes = await readFile(content.blobPath(digest as `sha256:${string}`));
      assert.equal(digestOf(bytes), digest);
    }
    const config = parseImageConfig(await content.readBytes(record.config.digest));
    assert.deepEqual(config.cmd, ['/bin/sh']);
    assert.equal(config.labels.arch, 'amd64');
    assert.ok(events.some((e) => e.kind === 'layer' && e.status === 'done' && e.done === e.size));
    assert.deepEqual(await readdir(content.ingestDir), [], 'no partial or temp file left');
    // A second pull finds every blob present.
    const again: TransferProgress[] = [];
    await pullImage({
      reference: `${registry.host}/test/busybox:v1`,
      content,
      images,
      onProgress: (e) => again.push(e),
    });
    assert.ok(again.filter((e) => e.status !== 'waiting').every((e) => e.status === 'exists'));
    assert.equal((await images.list()).length, 1);
  });

  it('pulls a Docker v2 schema 2 manifest (skopeo --format v2s2)', async (t) => {
    const dir = await tempDir(t, 'reg');
    const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
    const [image] = await buildLayout(join(dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await run('skopeo', [
      'copy',
      '--quiet',
      '--format',
      'v2s2',
      '--dest-tls-verify=false',
      image!.source,
      `docker://${registry.host}/docker/app:v1`,
    ]);
    const { stdout } = await run('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registry.host}/docker/app:v1`,
    ]);
    const { content, images } = stores(join(dir, 'state'));
    const record = await pullImage({ reference: `${registry.host}/docker/app:v1`, content, images });
    assert.equal(record.manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(record.manifest.digest, digestOf(stdout));
    assert.equal(record.config.mediaType, 'application/vnd.docker.container.image.v1+json');
    assert.equal(record.layers.length, 3);
  });

  it('selects linux/amd64 (or a named platform) from a multi-arch index', async (t) => {
    const dir = await tempDir(t, 'reg');
    const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
    const [amd64, arm64] = await buildLayout(join(dir, 'src'), {
      tag: 'multi',
      architectures: ['arm64', 'amd64'],
    }).then((list) => [list[1], list[0]]);
    await skopeoCopy(amd64!.source, `docker://${registry.host}/test/multi:1`, { all: true });
    const { content, images } = stores(join(dir, 'state'));
    const record = await pullImage({ reference: `${registry.host}/test/multi:1`, content, images });
    assert.equal(record.manifest.digest, amd64!.manifestDigest);
    assert.equal(record.platform.architecture, 'amd64');
    assert.ok(record.index, 'the index it came from is recorded');
    const arm = await pullImage({
      reference: `${registry.host}/test/multi:1`,
      content,
      images,
      platform: { os: 'linux', architecture: 'arm64' },
    });
    assert.equal(arm.manifest.digest, arm64!.manifestDigest);
    await assert.rejects(
      pullImage({
        reference: `${registry.host}/test/multi:1`,
        content,
        images,
        platform: { os: 'linux', architecture: 's390x' },
      }),
      { code: 'ERR_IMAGE_PLATFORM_NOT_FOUND' },
    );
  });

  it('pushes (monolithic and chunked, skipping existing blobs, mounting across repositories) and skopeo reads it back', async (t) => {
    const dir = await tempDir(t, 'reg');
    const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
    const [image] = await buildLayout(join(dir, 'src'), {
      tag: 'v1',
      architectures: ['amd64'],
      extraBytes: 3 * 1024 * 1024,
    });
    await skopeoCopy(image!.source, `docker://${registry.host}/seed/app:v1`);
    const { content, images } = stores(join(dir, 'state'));
    await pullImage({ reference: `${registry.host}/seed/app:v1`, content, images });

    const mounted = await pushImage({
      image: `${registry.host}/seed/app:v1`,
      destination: `${registry.host}/other/app:v2`,
      content,
      images,
    });
    assert.equal(mounted.digest, image!.manifestDigest);
    assert.ok(
      mounted.blobs.every((b) => b.outcome === 'mounted'),
      JSON.stringify(mounted.blobs),
    );

    // A fresh registry: nothing to skip or mount, a 1 MiB chunk size sends the 3 MiB layer in PATCHes.
    const fresh = await startRegistry(t, join(dir, 'registry2'), { kind: 'none' });
    const pushed = await pushImage({
      image: image!.configDigest.slice(7, 19),
      destination: `${fresh.host}/pushed/app:v3`,
      content,
      images,
      chunkSize: 1024 * 1024,
    });
    assert.ok(pushed.blobs.every((b) => b.outcome === 'uploaded'));
    const again = await pushImage({
      image: image!.configDigest,
      destination: `${fresh.host}/pushed/app:v4`,
      content,
      images,
    });
    assert.ok(again.blobs.every((b) => b.outcome === 'exists'));

    const { stdout } = await run('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${fresh.host}/pushed/app:v3`,
    ]);
    assert.equal(digestOf(stdout), image!.manifestDigest);
    const out = join(dir, 'readback');
    await skopeoCopy(`docker://${fresh.host}/pushed/app:v3`, `oci:${out}:v3`);
    const index = (await readJson(join(out, 'index.json'))) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]?.digest, image!.manifestDigest);
    for (const digest of [image!.configDigest, ...image!.layerDigests]) {
      const bytes = await readFile(join(out, 'blobs', 'sha256', digest.slice(7)));
      assert.equal(digestOf(bytes), digest);
    }
  });

  it('collects garbage: blobs of removed images go, shared and recent ones stay', async (t) => {
    const dir = await tempDir(t, 'reg');
    const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
    const [image] = await buildLayout(join(dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await skopeoCopy(image!.source, `docker://${registry.host}/gc/app:v1`);
    const { content, images } = stores(join(dir, 'state'));
    await pullImage({ reference: `${registry.host}/gc/app:v1`, content, images });
    const stray = await content.write(Buffer.from('unreferenced'));
    const kept = await collectGarbage({ content, images, gracePeriodMs: 0 });
    assert.deepEqual(kept.removed, [stray.digest]);
    assert.equal(await content.has(image!.configDigest as `sha256:${string}`), true);
    await images.remove(`${registry.host}/gc/app:v1`);
    const swept = await collectGarbage({ content, images, gracePeriodMs: 0 });
    assert.equal(swept.removed.length, 5, 'manifest, config and 3 layers');
    assert.deepEqual(await readdir(join(content.root, 'blobs', 'sha256')), []);
  });
});

describe('registry auth', () => {
  it('htpasswd basic auth: login verifies and stores 0600 credentials, pull and push use them', async (t) => {
    const dir = await tempDir(t, 'reg');
    const registry = await startRegistry(t, join(dir, 'registry'), {
      kind: 'htpasswd',
      username: 'alice',
      password: 's3cret',
    });
    const [image] = await buildLayout(join(dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await skopeoCopy(image!.source, `docker://${registry.host}/private/app:v1`, { creds: 'alice:s3cret' });
    const { content, images } = stores(join(dir, 'state'));
    await assert.rejects(pullImage({ reference: `${registry.host}/private/app:v1`, content, images }), {
      code: 'ERR_IMAGE_REGISTRY_UNAUTHORIZED',
    });
    const creds = new CredentialStore(join(dir, 'config', 'auth.json'));
    await assert.rejects(
      loginRegistry({
        registry: registry.host,
        credentials: { username: 'alice', password: 'wrong' },
        store: creds,
      }),
      { code: 'ERR_IMAGE_REGISTRY_UNAUTHORIZED' },
    );
    assert.deepEqual(await creds.registries(), []);
    await loginRegistry({
      registry: registry.host,
      credentials: { username: 'alice', password: 's3cret' },
      store: creds,
    });
    assert.equal((await stat(creds.path)).mode & 0o777, 0o600);
    const credentials = await creds.get(registry.host);
    const record = await pullImage({
      reference: `${registry.host}/private/app:v1`,
      content,
      images,
      credentials,
    });
    assert.equal(record.manifest.digest, image!.manifestDigest);
    const pushed = await pushImage({
      image: record.id,
      destination: `${registry.host}/private/copy:v1`,
      content,
      images,
      credentials,
    });
    assert.equal(pushed.digest, image!.manifestDigest);
    assert.equal(await creds.remove(registry.host), true);
    assert.equal(await creds.get(registry.host), undefined);
  });

  it('bearer token auth: tokens from the realm per scope, cross-repository mount with two scopes', async (t) => {
    const dir = await tempDir(t, 'reg');
    const tokens = await startTokenServer(t, dir, { username: 'bob', password: 'hunter2' });
    const registry = await startRegistry(t, join(dir, 'registry'), {
      kind: 'token',
      realm: tokens.realm,
      certPath: tokens.certPath,
    });
    const [image] = await buildLayout(join(dir, 'src'), { tag: 'v1', architectures: ['amd64'] });
    await skopeoCopy(image!.source, `docker://${registry.host}/team/app:v1`, { creds: 'bob:hunter2' });
    const { content, images } = stores(join(dir, 'state'));
    const creds = new CredentialStore(join(dir, 'config', 'auth.json'));
    await assert.rejects(
      loginRegistry({
        registry: registry.host,
        credentials: { username: 'bob', password: 'nope' },
        store: creds,
      }),
      { code: 'ERR_IMAGE_REGISTRY_UNAUTHORIZED' },
    );
    const credentials = { username: 'bob', password: 'hunter2' };
    await loginRegistry({ registry: registry.host, credentials, store: creds });
    tokens.requests.length = 0;
    const record = await pullImage({
      reference: `${registry.host}/team/app:v1`,
      content,
      images,
      credentials,
    });
    assert.equal(record.manifest.digest, image!.manifestDigest);
    assert.ok(tokens.requests.some((s) => s.includes('repository:team/app:pull')));
    assert.ok(
      tokens.requests.length <= 3,
      `tokens are cached per scope, got ${tokens.requests.length} requests`,
    );
    const pushed = await pushImage({
      image: record.id,
      destination: `${registry.host}/team/mirror:v1`,
      content,
      images,
      credentials,
    });
    assert.ok(
      pushed.blobs.every((b) => b.outcome === 'mounted'),
      JSON.stringify(pushed.blobs),
    );
    assert.ok(
      tokens.requests.some(
        (s) => s.includes('repository:team/app:pull') && s.includes('repository:team/mirror:pull,push'),
      ),
    );
  });
});
