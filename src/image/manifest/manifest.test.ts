import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageConfig } from './config.ts';
import { MediaType } from './media-types.ts';
import { parseManifest } from './parse.ts';
import { parsePlatform, selectPlatform } from './platform.ts';
import type { ImageIndex } from './types.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const bytes = (doc: unknown) => Buffer.from(JSON.stringify(doc));
const manifestDoc = (layerType: string = MediaType.ociLayerGzip) => ({
  schemaVersion: 2,
  mediaType: MediaType.ociManifest,
  config: { mediaType: MediaType.ociConfig, digest: d('a'), size: 10 },
  layers: [{ mediaType: layerType, digest: d('b'), size: 20 }],
});

describe('parseManifest', () => {
  it('parses an OCI manifest', () => {
    const m = parseManifest(bytes(manifestDoc()));
    assert.equal(m.kind, 'manifest');
    assert.equal(m.kind === 'manifest' && m.layers[0]?.size, 20);
  });

  it('infers the type of an OCI manifest without mediaType, or takes it from the header', () => {
    const { mediaType: _, ...doc } = manifestDoc();
    assert.equal(parseManifest(bytes(doc)).mediaType, MediaType.ociManifest);
    const docker = { ...doc, config: { ...doc.config, mediaType: MediaType.dockerConfig } };
    const m = parseManifest(bytes(docker), { contentType: `${MediaType.dockerManifest}; charset=utf-8` });
    assert.equal(m.mediaType, MediaType.dockerManifest);
  });

  it('parses a Docker manifest list', () => {
    const doc = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifestList,
      manifests: [
        {
          mediaType: MediaType.dockerManifest,
          digest: d('c'),
          size: 5,
          platform: { os: 'linux', architecture: 'amd64' },
        },
      ],
    };
    const m = parseManifest(bytes(doc));
    assert.equal(m.kind, 'index');
  });

  it('rejects unknown and schema 1 media types', () => {
    assert.throws(() => parseManifest(bytes({ ...manifestDoc(), mediaType: 'application/x-weird' })), {
      code: 'ERR_IMAGE_MEDIA_TYPE_UNSUPPORTED',
    });
    assert.throws(
      () =>
        parseManifest(
          bytes({ schemaVersion: 1, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' }),
        ),
      (err: Error & { hint?: string }) => /schema 1/.test(err.hint ?? ''),
    );
    assert.throws(
      () => parseManifest(bytes(manifestDoc('application/x-rar'))),
      /layer 0 has media type 'application\/x-rar'/,
    );
  });

  it('rejects bad digests, sizes and oversized documents', () => {
    const bad = manifestDoc();
    bad.layers[0] = { ...bad.layers[0]!, digest: 'sha256:xyz' };
    assert.throws(() => parseManifest(bytes(bad)), { code: 'ERR_IMAGE_DIGEST_INVALID' });
    const neg = manifestDoc();
    neg.layers[0] = { ...neg.layers[0]!, size: -1 };
    assert.throws(() => parseManifest(bytes(neg)), { code: 'ERR_IMAGE_MANIFEST_INVALID' });
    assert.throws(() => parseManifest(Buffer.alloc(5 * 1024 * 1024, 32)), {
      code: 'ERR_IMAGE_MANIFEST_TOO_LARGE',
    });
    assert.throws(() => parseManifest(Buffer.from('{nope')), { code: 'ERR_IMAGE_MANIFEST_INVALID' });
  });
});

describe('selectPlatform', () => {
  const entry = (c: string, platform: object) => ({
    mediaType: MediaType.ociManifest,
    digest: d(c),
    size: 1,
    platform,
  });
  const index = {
    kind: 'index',
    mediaType: MediaType.ociIndex,
    schemaVersion: 2,
    manifests: [
      entry('1', { os: 'unknown', architecture: 'unknown' }),
      entry('2', { os: 'linux', architecture: 'arm', variant: 'v7' }),
      entry('3', { os: 'linux', architecture: 'amd64', variant: 'v3' }),
      entry('4', { os: 'linux', architecture: 'amd64' }),
      entry('5', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    ],
  } as ImageIndex;

  it('prefers the plain amd64 entry over a higher variant', () => {
    assert.equal(selectPlatform(index, { os: 'linux', architecture: 'amd64' }).digest, d('4'));
  });

  it('matches variants and arch aliases', () => {
    assert.equal(selectPlatform(index, parsePlatform('linux/arm/v7')).digest, d('2'));
    assert.equal(selectPlatform(index, parsePlatform('linux/aarch64')).digest, d('5'));
    assert.equal(selectPlatform(index, parsePlatform('linux/amd64/v3')).digest, d('3'));
  });

  it('names the offered platforms when none matches', () => {
    assert.throws(
      () => selectPlatform(index, parsePlatform('linux/s390x')),
      (err: Error) => {
        assert.match(err.message, /no manifest for linux\/s390x; it offers linux\/arm\/v7, linux\/amd64\/v3/);
        return true;
      },
    );
  });
});

describe('parseImageConfig', () => {
  it('reads the runtime settings, history and diff ids', () => {
    const config = parseImageConfig(
      bytes({
        architecture: 'amd64',
        os: 'linux',
        created: '2024-01-01T00:00:00Z',
        config: {
          Env: ['PATH=/bin'],
          Entrypoint: ['/bin/sh'],
          Cmd: ['-c', 'echo hi'],
          WorkingDir: '/app',
          User: '1000:1000',
          ExposedPorts: { '80/tcp': {} },
          Labels: { a: 'b' },
        },
        rootfs: { type: 'layers', diff_ids: [d('e')] },
        history: [{ created_by: 'RUN x', empty_layer: true }],
      }),
    );
    assert.deepEqual(config.entrypoint, ['/bin/sh']);
    assert.deepEqual(config.exposedPorts, ['80/tcp']);
    assert.equal(config.workingDir, '/app');
    assert.deepEqual(config.history, [{ createdBy: 'RUN x', emptyLayer: true }]);
    assert.deepEqual(config.diffIds, [d('e')]);
  });

  it('rejects a config without rootfs layers or with a non-string Cmd', () => {
    assert.throws(() => parseImageConfig(bytes({ os: 'linux' })), { code: 'ERR_IMAGE_CONFIG_INVALID' });
    assert.throws(
      () => parseImageConfig(bytes({ config: { Cmd: 'sh' }, rootfs: { type: 'layers', diff_ids: [] } })),
      /Cmd is invalid/,
    );
  });
});
