// Hostile and broken archives: each gets a clear error, no image is recorded, no blob with a
// wrong digest becomes visible, and nothing is written outside the store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../../../src/core/index.ts';
import { loadImages, tarEnd, tarHeader, tarPadding } from '../../../src/image/index.ts';
import { storesIn } from './archive-harness.ts';
import { tempDir } from './registry-harness.ts';

type Member = { name: string; body?: Buffer | string; link?: string; type?: 'symlink' | 'hardlink' };

function tar(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    if (m.type) {
      parts.push(tarHeader({ name: m.name, type: m.type, mode: 0o777, linkname: m.link }));
      continue;
    }
    const body = Buffer.from(m.body ?? '');
    parts.push(
      tarHeader({ name: m.name, type: 'file', mode: 0o644, size: body.length }),
      body,
      tarPadding(body.length),
    );
  }
  return Buffer.concat([...parts, tarEnd()]);
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blob = (b: Buffer | string): Member => ({ name: `blobs/sha256/${sha(b).slice(7)}`, body: b });

/** A valid one-layer OCI image's parts, to break one at a time. */
function ociParts() {
  const layer = tar([{ name: 'hello', body: 'hi\n' }]);
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [sha(layer)] },
  });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha(config),
      size: config.length,
    },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
  });
  const index = (digest = sha(manifest), size = manifest.length) =>
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest,
          size,
          annotations: { 'io.containerd.image.name': 'example.com/hostile:1' },
        },
      ],
    });
  return { layer, config, manifest, index };
}

async function expectRefused(
  t: Parameters<typeof tempDir>[0],
  input: Buffer | ((dir: string) => Promise<string>),
  code: string,
  message?: RegExp,
) {
  const dir = await tempDir(t, 'hostile');
  const stores = storesIn(join(dir, 'state'));
  const path = Buffer.isBuffer(input) ? join(dir, 'archive.tar') : await input(dir);
  if (Buffer.isBuffer(input)) await writeFile(path, input);
  await assert.rejects(loadImages({ input: path, ...stores }), (err: unknown) => {
    assert.ok(err instanceof BerthError, `expected a BerthError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
  assert.deepEqual(await stores.images.list(), [], 'no image recorded');
  const names = await readdir(dir);
  assert.deepEqual(
    names.filter((n) => !['state', 'archive.tar', 'layout'].includes(n)),
    [],
    'nothing written beside the store',
  );
  return stores;
}

test('a well-formed archive built here loads (the corpus below breaks it one way at a time)', async (t) => {
  const dir = await tempDir(t, 'hostile-ok');
  const p = ociParts();
  await writeFile(
    join(dir, 'ok.tar'),
    tar([blob(p.layer), blob(p.config), blob(p.manifest), { name: 'index.json', body: p.index() }]),
  );
  const { images } = await loadImages({ input: join(dir, 'ok.tar'), ...storesIn(join(dir, 'state')) });
  assert.deepEqual(images[0]!.names, ['example.com/hostile:1']);
});

test('a blob whose bytes do not match its name: digest mismatch, blob not stored', async (t) => {
  const p = ociParts();
  const forged = { name: `blobs/sha256/${sha(p.layer).slice(7)}`, body: Buffer.from('not the layer') };
  const stores = await expectRefused(
    t,
    tar([forged, blob(p.config), blob(p.manifest), { name: 'index.json', body: p.index() }]),
    'ERR_IMAGE_DIGEST_MISMATCH',
  );
  assert.equal(await stores.content.has(sha(p.layer) as `sha256:${string}`), false);
});

test('member names and manifest paths that climb out are refused', async (t) => {
  const p = ociParts();
  await expectRefused(t, tar([{ name: '../../escape', body: 'x' }]), 'ERR_IMAGE_ARCHIVE_UNSAFE_PATH');
  await expectRefused(t, tar([{ name: '/etc/evil', body: 'x' }]), 'ERR_IMAGE_ARCHIVE_UNSAFE_PATH');
  const manifestJson = JSON.stringify([{ Config: '../../../etc/passwd', RepoTags: ['a:b'], Layers: [] }]);
  await expectRefused(
    t,
    tar([{ name: 'manifest.json', body: manifestJson }]),
    'ERR_IMAGE_ARCHIVE_UNSAFE_PATH',
  );
  const viaLink = JSON.stringify([{ Config: 'cfg.json', RepoTags: ['a:b'], Layers: ['l/layer.tar'] }]);
  await expectRefused(
    t,
    tar([
      { name: 'cfg.json', body: p.config },
      { name: 'l/layer.tar', type: 'symlink', link: '../../../etc/shadow' },
      { name: 'manifest.json', body: viaLink },
    ]),
    'ERR_IMAGE_ARCHIVE_UNSAFE_PATH',
  );
});

test('an OCI layout directory whose blob is a symlink to a host file is refused', async (t) => {
  const p = ociParts();
  await expectRefused(
    t,
    async (dir) => {
      const layout = join(dir, 'layout');
      await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
      await writeFile(join(layout, 'index.json'), p.index());
      await symlink('/etc/hostname', join(layout, 'blobs', 'sha256', sha(p.manifest).slice(7)));
      return layout;
    },
    'ERR_IMAGE_ARCHIVE_UNSAFE_PATH',
  );
});

test('missing blobs, absurd sizes, truncation and non-archives get clear errors', async (t) => {
  const p = ociParts();
  await expectRefused(
    t,
    tar([blob(p.config), blob(p.manifest), { name: 'index.json', body: p.index() }]),
    'ERR_IMAGE_ARCHIVE_MISSING_BLOB',
    /layer 1/,
  );
  await expectRefused(t, tar([{ name: 'index.json', body: p.index() }]), 'ERR_IMAGE_ARCHIVE_MISSING_BLOB');
  await expectRefused(
    t,
    tar([
      blob(p.layer),
      blob(p.config),
      blob(p.manifest),
      { name: 'index.json', body: p.index(sha(p.manifest), 5) },
    ]),
    'ERR_IMAGE_ARCHIVE_INVALID',
    /descriptor says 5/,
  );
  // A header claiming 2^48 bytes (GNU base-256 size field), far beyond the 1 TiB limit.
  const huge = tarHeader({ name: 'blobs/sha256/x', type: 'file', mode: 0o644, size: 0 });
  huge.fill(0, 124, 136);
  huge[124] = 0x80;
  huge[129] = 1;
  huge.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of huge) sum += b;
  huge.write(`${sum.toString(8).padStart(7, '0')}\0`, 148, 'latin1');
  await expectRefused(t, Buffer.concat([huge, tarEnd()]), 'ERR_IMAGE_ARCHIVE_INVALID', /claims \d+ bytes/);
  const whole = tar([
    blob(p.layer),
    blob(p.config),
    blob(p.manifest),
    { name: 'index.json', body: p.index() },
  ]);
  await expectRefused(t, whole.subarray(0, 700), 'ERR_IMAGE_ARCHIVE_INVALID', /ends early/);
  await expectRefused(
    t,
    Buffer.from('this is not a tar archive at all'.repeat(40)),
    'ERR_IMAGE_ARCHIVE_INVALID',
  );
  await expectRefused(
    t,
    Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 1, 2]),
    'ERR_IMAGE_ARCHIVE_INVALID',
    /xz/,
  );
  await expectRefused(
    t,
    Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]),
    'ERR_IMAGE_ARCHIVE_INVALID',
    /decompression/,
  );
  await expectRefused(
    t,
    tar([{ name: 'readme', body: 'x' }]),
    'ERR_IMAGE_ARCHIVE_INVALID',
    /neither manifest.json/,
  );
});
