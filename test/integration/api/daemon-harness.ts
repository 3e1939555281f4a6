// A real berthd on a temp socket with a temp state dir, stopped when the test ends, and a
// throttling TCP proxy that shows when a client abandons a download half-way.
import assert from 'node:assert/strict';
import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile, stat } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLayout, type Cleanup, skopeoCopy, startRegistry } from '../image/registry-harness.ts';

const BERTHD = fileURLToPath(new URL('../../../bin/berthd', import.meta.url));

export interface RunningDaemon {
  socketPath: string;
  stateDir: string;
  process: ChildProcess;
  /** berthd's log so far, one JSON object a line. */
  log(): string;
  /** Resolves when a log line matches. */
  waitForLog(pattern: RegExp): Promise<void>;
}

/** Starts bin/berthd serving `dir/state` on `dir/berthd.sock`; SIGTERM (and SIGCONT) and wait when the test ends. */
export async function startBerthd(t: Cleanup, dir: string): Promise<RunningDaemon> {
  const socketPath = join(dir, 'berthd.sock');
  const stateDir = join(dir, 'state');
  const child = spawn(BERTHD, ['--socket', socketPath, '--state-dir', stateDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    log += d;
    for (const w of waiters.filter((w) => w.pattern.test(log))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    // A daemon a test stopped (SIGSTOP) acts on SIGTERM only once continued.
    child.kill('SIGCONT');
    await exited;
  });
  const daemon: RunningDaemon = {
    socketPath,
    stateDir,
    process: child,
    log: () => log,
    waitForLog: (pattern) =>
      pattern.test(log) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pattern, resolve })),
  };
  await Promise.race([
    daemon.waitForLog(/berthd listening/),
    once(child, 'exit').then(() => {
      throw new Error(`berthd exited at start: ${log}`);
    }),
  ]);
  return daemon;
}

export interface ThrottlingProxy {
  /** host:port to use instead of the upstream's. */
  host: string;
  /** Resolves when a client closes its connection while a response is still coming. */
  cutShort: Promise<void>;
  /** Requests passed on so far: path and `Range` header ('' for none), in order. */
  requests: { path: string; range: string }[];
}

/** Forwards to `upstream` (host:port), passing answers on at about `bytesPerSecond`. */
export async function startThrottlingProxy(
  t: Cleanup,
  upstream: string,
  bytesPerSecond: number,
): Promise<ThrottlingProxy> {
  const [host, port] = upstream.split(':');
  let cut!: () => void;
  const cutShort = new Promise<void>((resolve) => {
    cut = resolve;
  });
  const sockets = new Set<Socket>();
  const requests: ThrottlingProxy['requests'] = [];
  const server = createServer((client) => {
    const remote = connect(Number(port), host);
    sockets.add(client).add(remote);
    client.pipe(remote);
    recordRequests(client, requests);
    let sending = false;
    remote.on('data', (chunk: Buffer) => {
      remote.pause();
      sending = true;
      void trickle(client, chunk, bytesPerSecond).then(() => {
        sending = false;
        remote.resume();
      });
    });
    remote.on('end', () => client.end());
    client.on('close', () => {
      if (sending) cut();
      remote.destroy();
    });
    remote.on('close', () => client.destroy());
    client.on('error', () => {});
    remote.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address() as { port: number };
  return { host: `127.0.0.1:${address.port}`, cutShort, requests };
}

/** Notes each request head a client sends (the registry clients send GETs without bodies). */
function recordRequests(client: Socket, requests: ThrottlingProxy['requests']): void {
  let pending = '';
  client.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
      const head = pending.slice(0, end);
      pending = pending.slice(end + 4);
      const path = /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? '';
      requests.push({ path, range: /\r\nrange: *([^\r]*)/i.exec(head)?.[1] ?? '' });
    }
  });
}

async function trickle(to: Socket, chunk: Buffer, bytesPerSecond: number): Promise<void> {
  const piece = Math.max(1024, Math.floor(bytesPerSecond / 50));
  for (let at = 0; at < chunk.length && !to.destroyed; at += piece) {
    to.write(chunk.subarray(at, at + piece));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Reads a running `berth pull`'s stderr until its first blob is transferred (the pull is under
 * way, the big layer still coming through a throttling proxy); returns what it read.
 */
export async function untilFirstBlob(cli: ChildProcessWithoutNullStreams): Promise<string> {
  let stderr = '';
  cli.stderr.setEncoding('utf8');
  for await (const chunk of cli.stderr) {
    stderr += chunk;
    if (/transferred/.test(stderr)) break;
  }
  return stderr;
}

/** The names of the images recorded in a state dir's images.json. */
export async function storedImages(stateDir: string): Promise<string[]> {
  try {
    const doc = JSON.parse(await readFile(join(stateDir, 'images', 'images.json'), 'utf8'));
    return Object.values(doc.images ?? doc).flatMap((r) => (r as { names?: string[] }).names ?? []);
  } catch {
    return [];
  }
}

/** Every blob in the store hashes to its name: no partial blob is visible. */
export async function blobsAreComplete(stateDir: string): Promise<string[]> {
  const dir = join(stateDir, 'content', 'blobs', 'sha256');
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const hash = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
    assert.equal(hash, name, `blob ${name} is complete`);
  }
  return names.map((n) => `sha256:${n}`);
}

/**
 * Waits until at least `bytes` of the blob are in its partial file: the download is under way.
 * Fails if `puller` exits first. Polls the file: the pull's own output says nothing per byte.
 */
export async function untilPartial(path: string, bytes: number, puller: ChildProcess): Promise<void> {
  for (;;) {
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size >= bytes) return;
    if (puller.exitCode !== null || puller.signalCode !== null) {
      throw new Error(`the pull ended before ${bytes} bytes of ${path} arrived`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An image whose third layer is 8 MiB, in a registry this test starts, and behind a ~2 MB/s proxy. */
export interface SlowBigImage {
  /** Through the proxy: a pull of it is still downloading the big layer for a few seconds. */
  ref: string;
  /** The same image straight from the registry, not slowed down. */
  directRef: string;
  bigLayer: string;
  proxy: ThrottlingProxy;
}

/** Starts a registry and a throttling proxy in `dir` and seeds the big image (skopeo). */
export async function slowBigImage(t: Cleanup, dir: string): Promise<SlowBigImage> {
  const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
  const [image] = await buildLayout(join(dir, 'src'), {
    tag: 'v1',
    architectures: ['amd64'],
    extraBytes: 8 * 1024 * 1024,
  });
  assert.ok(image);
  await skopeoCopy(image.source, `docker://${registry.host}/big/app:v1`);
  const proxy = await startThrottlingProxy(t, registry.host, 2_000_000);
  const bigLayer = image.layerDigests[2];
  assert.ok(bigLayer);
  return { ref: `${proxy.host}/big/app:v1`, directRef: `${registry.host}/big/app:v1`, bigLayer, proxy };
}
