// A small HTTP server that speaks the registry API but misbehaves on purpose: each failure must
// give a clear error and leave no half-written blob visible in the content store.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ContentStore, type Digest, digestOf, ImageStore, pullImage } from '../../../src/image/index.ts';
import { type Cleanup, tempDir } from './registry-harness.ts';

type Behaviour =
  | 'ok'
  | 'wrong-digest'
  | 'truncate-once'
  | 'truncate-always'
  | 'stall'
  | 'manifest-500'
  | 'manifest-404'
  | 'unauthorized-no-challenge'
  | 'huge-manifest'
  | 'huge-manifest-chunked'
  | 'unknown-media-type'
  | 'manifest-bad-header-digest'
  | 'rate-limited'
  | 'blob-500'
  | 'basic-auth'
  | 'config-layer-count';

interface FakeRegistry {
  host: string;
  behaviour: Behaviour;
  layer: Buffer;
  layerDigest: Digest;
  /** `Range` headers of blob requests, in order ('' for none). */
  ranges: string[];
  /** Every request as `METHOD path [authorized]`, in order. */
  requests: string[];
}

async function startFakeRegistry(t: Cleanup): Promise<FakeRegistry> {
  const layer = gzipSync(randomBytes(512 * 1024));
  const image = (diffIds: number) => {
    const config = Buffer.from(
      JSON.stringify({
        os: 'linux',
        architecture: 'amd64',
        rootfs: { type: 'layers', diff_ids: Array.from({ length: diffIds }, (_, i) => digestOf(`${i}`)) },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: digestOf(config),
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: digestOf(layer),
            size: layer.length,
          },
        ],
      }),
    );
    return { config, manifest };
  };
  const good = image(1);
  const miscounted = image(2);
  const fake: FakeRegistry = {
    host: '',
    behaviour: 'ok',
    layer,
    layerDigest: digestOf(layer),
    ranges: [],
    requests: [],
  };
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((req, res) =>
    serve(fake, { req, res, ...(fake.behaviour === 'config-layer-count' ? miscounted : good) }),
  );
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  fake.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function serve(
  fake: FakeRegistry,
  x: { req: IncomingMessage; res: ServerResponse; manifest: Buffer; config: Buffer },
): void {
  const { req, res } = x;
  const url = req.url ?? '';
  const b = fake.behaviour;
  const authorized = req.headers.authorization === BASIC;
  fake.requests.push(`${req.method} ${url}${authorized ? ' [authorized]' : ''}`);
  if (b === 'unauthorized-no-challenge') return void res.writeHead(401).end();
  if (b === 'basic-auth' && !authorized) {
    return void res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
  }
  if (url === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  if (url.includes('/manifests/')) {
    if (b === 'rate-limited') return void res.writeHead(429, { 'retry-after': '60' }).end();
    if (b === 'manifest-bad-header-digest') {
      return void res
        .writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': digestOf('other'),
        })
        .end(x.manifest);
    }
    if (b === 'manifest-500')
      return void res.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}');
    if (b === 'manifest-404') {
      return void res
        .writeHead(404)
        .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    }
    if (b === 'huge-manifest' || b === 'huge-manifest-chunked') {
      const huge = Buffer.alloc(10 * 1024 * 1024, 32);
      const headers: Record<string, string | number> = {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
      };
      if (b === 'huge-manifest') headers['content-length'] = huge.length;
      res.writeHead(200, headers);
      return void res.end(huge);
    }
    const body =
      b === 'unknown-media-type'
        ? Buffer.from(
            JSON.stringify({
              ...JSON.parse(x.manifest.toString()),
              mediaType: 'application/x-not-a-manifest',
            }),
          )
        : x.manifest;
    return void res
      .writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
      .end(body);
  }
  if (url.endsWith(digestOf(x.config))) return void res.writeHead(200).end(x.config);
  if (url.endsWith(fake.layerDigest)) return void serveLayer(fake, req, res);
  res.writeHead(404).end();
}

function serveLayer(fake: FakeRegistry, req: IncomingMessage, res: ServerResponse): void {
  const range = req.headers.range ?? '';
  fake.ranges.push(range);
  const { layer } = fake;
  const half = Math.floor(layer.length / 2);
  switch (fake.behaviour) {
    case 'blob-500':
      return void res.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"storage offline"}]}');
    case 'wrong-digest': {
      const bad = Buffer.from(layer);
      bad[100] = (bad[100] ?? 0) ^ 0xff;
      return void res.writeHead(200, { 'content-length': bad.length }).end(bad);
    }
    case 'truncate-always':
    case 'truncate-once': {
      const start = Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0);
      if (start > 0 && fake.behaviour === 'truncate-once') {
        res.writeHead(206, {
          'content-length': layer.length - start,
          'content-range': `bytes ${start}-${layer.length - 1}/${layer.length}`,
        });
        return void res.end(layer.subarray(start));
      }
      res.writeHead(200, { 'content-length': layer.length });
      res.write(layer.subarray(0, half), () => res.destroy());
      return;
    }
    case 'stall':
      res.writeHead(200, { 'content-length': layer.length });
      res.write(layer.subarray(0, 1000)); // then nothing, connection kept open
      return;
    default:
      res.writeHead(200, { 'content-length': layer.length }).end(layer);
  }
}

const CREDENTIALS = { username: 'ann', password: 'secret' };
const BASIC = `Basic ${Buffer.from('ann:secret').toString('base64')}`;

async function setup(t: Cleanup) {
  const dir = await tempDir(t, 'bad');
  const fake = await startFakeRegistry(t);
  const content = ContentStore.forStateDir(dir);
  const images = ImageStore.forStateDir(dir);
  const pull = (extra: { attempts?: number; timeoutMs?: number; credentials?: typeof CREDENTIALS } = {}) =>
    pullImage({ reference: `${fake.host}/bad/app:1`, content, images, timeoutMs: 2000, ...extra });
  const visibleBlobs = async () => readdir(join(content.root, 'blobs', 'sha256')).catch((): string[] => []);
  return { fake, content, images, pull, visibleBlobs };
}

describe('registry bad input', () => {
  it('a layer with the wrong digest: ERR_IMAGE_DIGEST_MISMATCH, nothing stored, no partial kept', async (t) => {
    const { fake, content, images, pull } = await setup(t);
    fake.behaviour = 'wrong-digest';
    await assert.rejects(pull(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_IMAGE_DIGEST_MISMATCH');
      assert.match(err.message, new RegExp(`expected ${fake.layerDigest}`));
      return true;
    });
    assert.equal(await content.has(fake.layerDigest), false);
    assert.equal(await content.partialSize(fake.layerDigest), 0);
    assert.deepEqual(await images.list(), []);
  });

  it('a body cut off mid-layer is resumed with a Range request on the next attempt', async (t) => {
    const { fake, content, pull } = await setup(t);
    fake.behaviour = 'truncate-once';
    const record = await pull();
    const half = Math.floor(fake.layer.length / 2);
    assert.deepEqual(fake.ranges, ['', `bytes=${half}-`]);
    assert.equal(digestOf(await content.readBytes(fake.layerDigest)), fake.layerDigest);
    assert.equal(record.layers[0]?.digest, fake.layerDigest);
  });

  it('a body cut off every time fails clearly, keeps the partial invisible, and a later pull resumes it', async (t) => {
    const { fake, content, images, pull, visibleBlobs } = await setup(t);
    fake.behaviour = 'truncate-always';
    await assert.rejects(pull({ attempts: 1 }), { code: 'ERR_IMAGE_REGISTRY_UNAVAILABLE' });
    assert.equal(await content.has(fake.layerDigest), false);
    assert.ok(!(await visibleBlobs()).includes(fake.layerDigest.slice(7)));
    const half = Math.floor(fake.layer.length / 2);
    assert.equal(await content.partialSize(fake.layerDigest), half);
    assert.deepEqual(await images.list(), []);
    fake.behaviour = 'truncate-once'; // now serves ranges
    fake.ranges = [];
    await pull({ attempts: 1 });
    assert.deepEqual(fake.ranges, [`bytes=${half}-`]);
    assert.equal(digestOf(await content.readBytes(fake.layerDigest)), fake.layerDigest);
  });

  it('answers a 401 challenge on the manifest request itself: no /v2/ ping, blobs sent authorized', async (t) => {
    const { fake, content, pull } = await setup(t);
    fake.behaviour = 'basic-auth';
    await assert.rejects(pull(), { code: 'ERR_IMAGE_REGISTRY_UNAUTHORIZED' });
    assert.deepEqual(fake.requests, ['GET /v2/bad/app/manifests/1']);
    fake.requests = [];
    const record = await pull({ credentials: CREDENTIALS });
    assert.equal(record.layers[0]?.digest, fake.layerDigest);
    assert.deepEqual(fake.requests.slice(0, 2), [
      'GET /v2/bad/app/manifests/1',
      'GET /v2/bad/app/manifests/1 [authorized]',
    ]);
    assert.ok(fake.requests.slice(2).every((r) => r.includes('/blobs/') && r.endsWith('[authorized]')));
    assert.equal(fake.requests.length, 4);
    assert.equal(digestOf(await content.readBytes(fake.layerDigest)), fake.layerDigest);
  });

  it('a config that lists more layers than its manifest: ERR_IMAGE_CONFIG_INVALID, no image recorded', async (t) => {
    const { fake, images, pull } = await setup(t);
    fake.behaviour = 'config-layer-count';
    await assert.rejects(pull(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_IMAGE_CONFIG_INVALID');
      assert.match(err.message, /its config lists 2 layers, its manifest 1/);
      return true;
    });
    assert.deepEqual(await images.list(), []);
  });

  it('a stalled connection times out with ERR_IMAGE_REGISTRY_TIMEOUT', async (t) => {
    const { fake, content, pull } = await setup(t);
    fake.behaviour = 'stall';
    await assert.rejects(pull({ attempts: 2, timeoutMs: 300 }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_IMAGE_REGISTRY_TIMEOUT');
      assert.match(err.message, /no data from the registry for 300 ms/);
      return true;
    });
    assert.equal(await content.has(fake.layerDigest), false);
  });

  const statusCases: [Behaviour, string, RegExp][] = [
    ['manifest-500', 'ERR_IMAGE_REGISTRY_UNAVAILABLE', /500 Internal Server Error \(unknown: disk on fire\)/],
    ['manifest-404', 'ERR_IMAGE_REGISTRY_NOT_FOUND', /404 Not Found \(manifest_unknown: manifest unknown\)/],
    ['unauthorized-no-challenge', 'ERR_IMAGE_REGISTRY_UNAUTHORIZED', /without a WWW-Authenticate challenge/],
    ['huge-manifest', 'ERR_IMAGE_MANIFEST_TOO_LARGE', /10485760 bytes, more than the 4194304-byte limit/],
    ['huge-manifest-chunked', 'ERR_IMAGE_MANIFEST_TOO_LARGE', /more than the 4194304-byte limit/],
    ['unknown-media-type', 'ERR_IMAGE_MEDIA_TYPE_UNSUPPORTED', /'application\/x-not-a-manifest'/],
    ['manifest-bad-header-digest', 'ERR_IMAGE_DIGEST_MISMATCH', /expected sha256:/],
    ['rate-limited', 'ERR_IMAGE_REGISTRY_UNAVAILABLE', /429 Too Many Requests/],
    [
      'blob-500',
      'ERR_IMAGE_REGISTRY_UNAVAILABLE',
      /get blob sha256:\w+ of 127\.0\.0\.1:\d+\/bad\/app: 500 .*storage offline/,
    ],
  ];
  for (const [behaviour, code, message] of statusCases) {
    it(`${behaviour}: ${code}, no layer stored`, async (t) => {
      const { fake, images, pull, visibleBlobs } = await setup(t);
      fake.behaviour = behaviour;
      await assert.rejects(pull(), (err: Error & { code?: string }) => {
        assert.equal(err.code, code);
        assert.match(err.message, message);
        return true;
      });
      // Verified manifests and configs may stay (a later pull reuses them); the layer must not.
      const visible = await visibleBlobs();
      if (!behaviour.startsWith('blob-')) assert.deepEqual(visible, []);
      assert.ok(!visible.includes(fake.layerDigest.slice(7)));
      assert.deepEqual(await images.list(), []);
    });
  }
});
