// Pull of a multi-layer image from a loopback docker-registry: `berth pull` (through a running
// berthd or not, with bin/berth's resident CLI host or not) vs `skopeo copy docker://… oci:…`,
// the same image, alternating runs, median and ratio.
//   node bench/image-pull.ts [--layers 6] [--layer-mib 16] [--runs 5]
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ContentStore, ImageStore, pullImage } from '../src/image/index.ts';
import { stopCliHost } from '../test/fixtures/cli-host.ts';
import { startBerthd } from '../test/integration/api/daemon-harness.ts';
import { run, skopeoCopy, startRegistry, tempDir } from '../test/integration/image/registry-harness.ts';

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '6' },
    'layer-mib': { type: 'string', default: '16' },
    runs: { type: 'string', default: '5' },
  },
});
const LAYERS = Number(values.layers);
const LAYER_BYTES = Number(values['layer-mib']) * 1024 * 1024;
const RUNS = Number(values.runs);
const BERTH = fileURLToPath(new URL('../bin/berth', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
const t = { after: (fn: () => Promise<void> | void) => cleanups.push(fn) };

async function buildImage(dir: string): Promise<string> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer) => {
    const hex = createHash('sha256').update(b).digest('hex');
    await writeFile(join(blobs, hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < LAYERS; i++) {
    // A tar holding one file of half random, half zero bytes: compresses about 2:1 like real layers.
    const data = Buffer.concat([randomBytes(LAYER_BYTES / 2), Buffer.alloc(LAYER_BYTES / 2)]);
    const tar = tarOneFile(`data${i}`, data);
    diffIds.push(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    layers.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      ...(await put(gzipSync(tar, { level: 1 }))),
    });
  }
  const config = await put(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }),
    ),
  );
  const manifest = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    ),
  );
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const ref = { 'org.opencontainers.image.ref.name': 'bench' };
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: ref }],
    }),
  );
  return `oci:${dir}:bench`;
}

function tarOneFile(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\x0000', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}

function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const dir = await tempDir(t, 'bench-pull');
  const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
  const source = await buildImage(join(dir, 'layout'));
  const ref = `${registry.host}/bench/image:v1`;
  await skopeoCopy(source, `docker://${ref}`);
  const { stdout: fsType } = await run('stat', ['-f', '-c', '%T', dir]);
  // The CLI host: one warm Node process that runs `berth pull` for the C front-end, as a user has
  // after the first command (docs/design/cli-host.md). Without it, every command starts Node.
  const hostSocket = join(dir, 'cli-host.sock');
  cleanups.push(() => stopCliHost(hostSocket));
  const berthEnv = (state: string, host: boolean) => ({
    ...process.env,
    BERTH_STATE_DIR: state,
    BERTH_CLI_HOST: host ? 'require' : 'off',
    BERTH_CLI_HOST_SOCKET: hostSocket,
  });
  timed(BERTH, ['version'], berthEnv(join(dir, 'warm'), true)); // starts the host
  timed(BERTH, ['version'], berthEnv(join(dir, 'warm'), false)); // fills the compile cache
  // One daemon for all runs; each run starts from a store without the image (removed with
  // `berth rmi`, which deletes the blobs no image uses, outside the timing).
  const daemon = await startBerthd(t, join(dir, 'daemon'));
  const daemonEnv = (host: boolean) => ({
    ...berthEnv(daemon.stateDir, host),
    BERTH_HOST: `unix://${daemon.socketPath}`,
  });
  const removeFromDaemonStore = () => timed(BERTH, ['rmi', ref], daemonEnv(true));
  timed(BERTH, ['pull', ref], daemonEnv(true)); // warm-up: the daemon's first pull loads its modules
  removeFromDaemonStore();
  const rows = {
    daemonHost: [] as number[],
    daemon: [] as number[],
    host: [] as number[],
    berth: [] as number[],
    library: [] as number[],
    skopeo: [] as number[],
  };
  const alone = async (row: number[], host: boolean, state: string) => {
    row.push(timed(BERTH, ['pull', '--no-daemon', ref], berthEnv(state, host)));
    await rm(state, { recursive: true, force: true });
  };
  for (let i = 0; i < RUNS; i++) {
    const state = join(dir, `state-${i}`);
    const oci = join(dir, `oci-${i}`);
    rows.daemonHost.push(timed(BERTH, ['pull', ref], daemonEnv(true)));
    removeFromDaemonStore();
    rows.daemon.push(timed(BERTH, ['pull', ref], daemonEnv(false)));
    removeFromDaemonStore();
    await alone(rows.host, true, state);
    await alone(rows.berth, false, state);
    rows.skopeo.push(
      timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${oci}:v1`]),
    );
    await rm(oci, { recursive: true, force: true });
    const start = performance.now();
    await pullImage({
      reference: ref,
      content: ContentStore.forStateDir(state),
      images: ImageStore.forStateDir(state),
    });
    rows.library.push(performance.now() - start);
    await rm(state, { recursive: true, force: true });
  }
  const s = median(rows.skopeo);
  const line = (name: string, xs: number[]) =>
    `${name.padEnd(34)} median ${median(xs).toFixed(0).padStart(5)} ms  ratio skopeo/berth ${(s / median(xs)).toFixed(2)}x  (${xs.map((x) => x.toFixed(0)).join(', ')})`;
  const mib = (LAYERS * LAYER_BYTES) / 1024 / 1024;
  process.stdout.write(
    [
      `image: ${LAYERS} gzip layers, ${mib} MiB uncompressed, loopback docker-registry 2.8, temp dir on ${fsType.trim()}`,
      `runs: ${RUNS} each, interleaved; wall time of the whole command (ratio > 1: berth faster)`,
      `skopeo copy docker:// oci:          median ${s.toFixed(0).padStart(5)} ms  (${rows.skopeo.map((x) => x.toFixed(0)).join(', ')})`,
      line('berth pull via berthd, CLI host', rows.daemonHost),
      line('berth pull via berthd, no host', rows.daemon),
      line('berth pull --no-daemon, CLI host', rows.host),
      line('berth pull --no-daemon, no host', rows.berth),
      line('pullImage() in-process', rows.library),
      '',
    ].join('\n'),
  );
}

try {
  await main();
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
