// Real peers for the registry tests: Debian's docker-registry (distribution 2.8) started on
// 127.0.0.1 in a temp dir, a token server for its `auth: token` mode, and OCI layouts built
// from busybox-static that skopeo copies into the registry.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

export const run = promisify(execFile);

export interface Cleanup {
  after(fn: () => Promise<void> | void): void;
}

/** A temp dir removed when the test ends. */
export async function tempDir(t: Cleanup, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-${prefix}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RunningRegistry {
  /** host:port, e.g. 127.0.0.1:41234. */
  host: string;
  process: ChildProcess;
}

export type RegistryAuthMode =
  | { kind: 'none' }
  | { kind: 'htpasswd'; username: string; password: string }
  | { kind: 'token'; realm: string; certPath: string };

/** Starts docker-registry with filesystem storage in `dir`, stopped when the test ends. */
export async function startRegistry(
  t: Cleanup,
  dir: string,
  auth: RegistryAuthMode,
): Promise<RunningRegistry> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log: { level: error }',
    'storage:',
    `  filesystem: { rootdirectory: ${join(dir, 'data')} }`,
    '  delete: { enabled: true }',
    `http: { addr: "127.0.0.1:${port}" }`,
  ];
  if (auth.kind === 'htpasswd') {
    const { stdout } = await run('htpasswd', ['-Bbn', auth.username, auth.password]);
    await writeFile(join(dir, 'htpasswd'), stdout);
    lines.push('auth:', `  htpasswd: { realm: test, path: ${join(dir, 'htpasswd')} }`);
  }
  if (auth.kind === 'token') {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${auth.realm}`,
      '    service: berth-test',
      '    issuer: berth-test-issuer',
      `    rootcertbundle: ${auth.certPath}`,
    );
  }
  await writeFile(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  t.after(() => stopProcess(child));
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://${host}/v2/`);
      return { host, process: child };
    } catch {
      if (i > 100 || child.exitCode !== null) throw new Error(`docker-registry did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export interface TokenServer {
  realm: string;
  certPath: string;
  /** Scopes requested so far, one entry per token. */
  requests: string[][];
}

/** A token server the registry trusts (self-signed RSA cert in `x5c`): issues RS256 JWTs to user/password. */
export async function startTokenServer(
  t: Cleanup,
  dir: string,
  creds: { username: string; password: string },
): Promise<TokenServer> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=berth-token',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  const key = createPrivateKey(readFileSync(keyPath));
  const der = readFileSync(certPath, 'utf8').replace(/-----[^-]+-----|\s/g, '');
  const requests: string[][] = [];
  const expected = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
      return;
    }
    const scopes = url.searchParams.getAll('scope');
    requests.push(scopes);
    const token = signToken({
      key,
      der,
      service: url.searchParams.get('service') ?? '',
      scopes,
      subject: creds.username,
    });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { realm: `http://127.0.0.1:${port}/token`, certPath, requests };
}

function signToken(o: {
  key: ReturnType<typeof createPrivateKey>;
  der: string;
  service: string;
  scopes: string[];
  subject: string;
}): string {
  const b64 = (v: object | Buffer) =>
    (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const access = o.scopes.map((scope) => {
    const [type, ...rest] = scope.split(':');
    const actions = rest.pop() ?? '';
    return { type, name: rest.join(':'), actions: actions.split(',') };
  });
  const header = { typ: 'JWT', alg: 'RS256', x5c: [o.der] };
  const claims = {
    iss: 'berth-test-issuer',
    sub: o.subject,
    aud: o.service,
    exp: now + 300,
    nbf: now - 10,
    iat: now,
    jti: randomBytes(8).toString('hex'),
    access,
  };
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${b64(sign('sha256', Buffer.from(input), o.key))}`;
}

export interface LayoutImage {
  /** `oci:<dir>:<tag>` for skopeo. */
  source: string;
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Tars `root` (ownership root:root, fixed mtimes) into an uncompressed layer. */
async function tarLayer(root: string): Promise<Buffer> {
  const { stdout } = await run(
    'tar',
    ['--sort=name', '--owner=0', '--group=0', '--mtime=@0', '-C', root, '-cf', '-', '.'],
    {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout as unknown as Buffer;
}

/**
 * Builds an OCI layout at `dir` with a 3-layer busybox image (busybox-static, a text file,
 * `extraBytes` of random data) for each architecture; several architectures make an index.
 */
export async function buildLayout(
  dir: string,
  options: { tag: string; architectures: string[]; extraBytes?: number },
): Promise<LayoutImage[]> {
  const roots = join(dir, 'roots');
  await mkdir(join(roots, 'l1', 'bin'), { recursive: true });
  await copyFile('/bin/busybox', join(roots, 'l1', 'bin', 'busybox'));
  for (const app of ['sh', 'ls', 'cat', 'echo']) await symlink('busybox', join(roots, 'l1', 'bin', app));
  await mkdir(join(roots, 'l2', 'etc'), { recursive: true });
  await writeFile(join(roots, 'l2', 'etc', 'hello'), 'hello from berth\n');
  await mkdir(join(roots, 'l3', 'data'), { recursive: true });
  await writeFile(join(roots, 'l3', 'data', 'random'), randomBytes(options.extraBytes ?? 256 * 1024));
  const layout = join(dir, 'layout');
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  const put = async (b: Buffer) => {
    const d = sha(b);
    await writeFile(join(layout, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const layers: { digest: string; size: number; diffId: string }[] = [];
  for (const name of ['l1', 'l2', 'l3']) {
    const tar = await tarLayer(join(roots, name));
    const gz = gzipSync(tar);
    layers.push({ digest: await put(gz), size: gz.length, diffId: sha(tar) });
  }
  const images: LayoutImage[] = [];
  const entries: object[] = [];
  for (const architecture of options.architectures) {
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        created: '2024-05-01T00:00:00Z',
        config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'], WorkingDir: '/', Labels: { arch: architecture } },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
      }),
    );
    const configDigest = await put(config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: layers.map((l) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: l.digest,
          size: l.size,
        })),
      }),
    );
    const manifestDigest = await put(manifest);
    entries.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: manifestDigest,
      size: manifest.length,
      platform: { os: 'linux', architecture },
    });
    images.push({
      source: `oci:${layout}:${options.tag}`,
      manifestDigest,
      configDigest,
      layerDigests: layers.map((l) => l.digest),
    });
  }
  let top: object;
  if (entries.length === 1) {
    const only = entries[0] as { platform?: object };
    delete only.platform;
    top = { ...only, annotations: { 'org.opencontainers.image.ref.name': options.tag } };
  } else {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: entries,
      }),
    );
    const indexDigest = await put(index);
    top = {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: indexDigest,
      size: index.length,
      annotations: { 'org.opencontainers.image.ref.name': options.tag },
    };
  }
  await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [top] }));
  return images;
}

/** skopeo copy to a registry on loopback (http), optionally with credentials. */
export async function skopeoCopy(
  from: string,
  to: string,
  options: { creds?: string; all?: boolean } = {},
): Promise<void> {
  const args = ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false'];
  if (options.all) args.push('--all');
  if (options.creds) args.push('--src-creds', options.creds, '--dest-creds', options.creds);
  await run('skopeo', [...args, from, to], { maxBuffer: 16 * 1024 * 1024 });
}

export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'));
}
