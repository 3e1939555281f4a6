// Unpack throughput: Berth (overlay snapshots, and flattened) vs `umoci unpack` on the same
// gzip layers, same filesystem. Usage: node bench/unpack.ts [--dir /var/tmp/x] [--runs 5]
// The synthetic image (3 layers, ~9k files, symlinks, hardlinks, whiteouts) is built once into
// a cache dir outside the repository.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { unpackImage, unpackLayer } from '../src/image/index.ts';
import { OverlaySnapshotter } from '../src/storage/index.ts';
import { type EntrySpec, tar } from '../test/fixtures/hostile-layers/tar-builder.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '/var/tmp/berth-bench-unpack' },
    runs: { type: 'string', default: '5' },
  },
});
const dir = values.dir;
const runs = Number(values.runs);
const layout = join(dir, 'layout');

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Deterministic file content: half random-ish, half repetitive, so gzip has work like real files. */
function content(seed: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.writeUInt32LE(i % 8 === 0 ? x : 0x61626364, Math.min(i, size - 4));
  }
  return out;
}

function layerEntries(n: number, from: number, extra: EntrySpec[]): EntrySpec[] {
  const entries: EntrySpec[] = [];
  for (let d = 0; d < n / 25; d++) entries.push({ name: `usr/share/p${d}/`, type: '5', mode: 0o755 });
  for (let i = 0; i < n; i++) {
    const size = [200, 1500, 4000, 12000, 40000, 90000][i % 6]!;
    entries.push({
      name: `usr/share/p${Math.floor(i / 25)}/f${from + i}`,
      body: content(from + i, size),
      mode: 0o644,
    });
  }
  return [...entries, ...extra];
}

function buildLayout(): void {
  const tars = [
    tar(layerEntries(6000, 0, [{ name: 'bin/sh', type: '2', linkname: 'busybox' }])),
    tar(
      layerEntries(2000, 10000, [
        { name: 'usr/share/p0/.wh.f0' },
        { name: 'usr/share/p1/.wh..wh..opq' },
        { name: 'usr/share/p2/hard', type: '1', linkname: 'usr/share/p2/f10050' },
      ]),
    ),
    tar(layerEntries(1000, 20000, [{ name: 'etc/alt', type: '2', linkname: '/usr/share/p3/f75' }])),
  ];
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const blob = (b: Buffer, mediaType: string) => {
    writeFileSync(join(layout, 'blobs/sha256', sha256(b)), b);
    return { mediaType, digest: `sha256:${sha256(b)}`, size: b.length };
  };
  const layers = tars.map((t) => blob(gzipSync(t), 'application/vnd.oci.image.layer.v1.tar+gzip'));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${sha256(t)}`) },
      }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers,
      }),
    ),
    'application/vnd.oci.image.manifest.v1+json',
  );
  const ref = { ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } };
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [ref] }));
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'uncompressed-bytes'), String(tars.reduce((n, t) => n + t.length, 0)));
}

interface Image {
  layers: { digest: string }[];
  diffIds: string[];
}

function readImage(): Image {
  const blobPath = (d: string) => join(layout, 'blobs/sha256', d.slice('sha256:'.length));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blobPath(index.manifests[0].digest), 'utf8'));
  const config = JSON.parse(readFileSync(blobPath(manifest.config.digest), 'utf8'));
  return { layers: manifest.layers, diffIds: config.rootfs.diff_ids };
}

const blobStream = (digest: string) =>
  createReadStream(join(layout, 'blobs/sha256', digest.slice('sha256:'.length)));

async function berthSnapshots(image: Image, out: string): Promise<void> {
  const snapshotter = new OverlaySnapshotter(out);
  await unpackImage({
    snapshotter,
    layers: image.layers.map((l, i) => ({ diffId: image.diffIds[i]!, open: () => blobStream(l.digest) })),
  });
}

async function berthFlat(image: Image, out: string): Promise<void> {
  mkdirSync(out);
  for (const l of image.layers)
    await unpackLayer({ source: blobStream(l.digest), target: out, options: { whiteouts: 'flatten' } });
}

async function umoci(_image: Image, out: string): Promise<void> {
  execFileSync('umoci', ['unpack', '--image', `${layout}:bench`, out], { stdio: 'ignore' });
}

async function time(
  run: (image: Image, out: string) => Promise<void>,
  image: Image,
  out: string,
): Promise<number> {
  rmSync(out, { recursive: true, force: true });
  execFileSync('sync');
  const start = performance.now();
  await run(image, out);
  const ms = performance.now() - start;
  rmSync(out, { recursive: true, force: true });
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!existsSync(join(layout, 'index.json'))) buildLayout();
const image = readImage();
const bytes = Number(readFileSync(join(dir, 'uncompressed-bytes'), 'utf8'));
const fsType = execFileSync('df', ['--output=fstype', dir], { encoding: 'utf8' }).split('\n')[1]!.trim();
const contenders = {
  'berth (overlay snapshots)': berthSnapshots,
  'berth (flatten)': berthFlat,
  'umoci unpack': umoci,
};
const times: Record<string, number[]> = {};
for (let r = 0; r < runs; r++) {
  for (const [name, run] of Object.entries(contenders)) {
    times[name] ??= [];
    times[name].push(await time(run, image, join(dir, 'out')));
  }
}
console.log(
  `unpack of 3 gzip layers, ${(bytes / 1e6).toFixed(1)} MB uncompressed, ~9k files, on ${fsType} (${dir}), median of ${runs}`,
);
const umociMs = median(times['umoci unpack']!);
for (const [name, xs] of Object.entries(times)) {
  const ms = median(xs);
  console.log(
    `${name.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms  ${(bytes / 1e6 / (ms / 1000)).toFixed(1).padStart(7)} MB/s  ${(umociMs / ms).toFixed(2)}x umoci`,
  );
}
