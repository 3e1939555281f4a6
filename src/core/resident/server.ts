// A resident Node process that serves calls from a native front-end over a private unix socket,
// so a command does not pay for Node's start-up: berth-runtime's planner and berth's CLI host.
// docs/design/runtime-planner.md and docs/design/cli-host.md.
import { chmodSync, closeSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { FrameReader, frame } from './frames.ts';
import type { Freshness } from './freshness.ts';
import { holdLock, peerCredentials, sharesNamespaces } from './peer.ts';

/** What one kind of resident process does with a call: parse it, decide to take it, run it. */
export interface ResidentProtocol<R> {
  /** The protocol version the front-end's `request` frame must carry. */
  version: string;
  /** The request's fields after `request VERSION`; undefined for a malformed one (→ `slow`). */
  parse(fields: string[]): R | undefined;
  /** Whether this process serves the call; `slow` otherwise, and the front-end runs it itself. */
  accepts(request: R): boolean | Promise<boolean>;
  /** Runs an accepted call after `proceed`: writes its frames; the connection ends afterwards. */
  run(request: R, call: { conn: Socket; reader: FrameReader }): Promise<void>;
}

export interface ResidentOptions<R> {
  socket: string;
  /** An fd holding the process's flock; closed on retirement so a successor can start. */
  lockFd: number;
  /** Retire after this long without a call. */
  idleMs: number;
  freshness: Freshness;
  log(message: string): void;
  protocol: ResidentProtocol<R>;
}

/** A running resident process; `retired` resolves once it stopped taking calls and the last one ended. */
export interface Resident {
  retire(reason: string): void;
  retired: Promise<void>;
}

/** Listens on `socket` (mode 0600) and serves calls until idle, stale or told to stop. */
export function startResident<R>(o: ResidentOptions<R>): Resident {
  const server = createServer((conn) => void track(serve(conn, o, resident)));
  let active = 0;
  let idle: NodeJS.Timeout | undefined;
  let retiring = false;
  let done: () => void = () => {};
  const retired = new Promise<void>((resolve) => {
    done = resolve;
  });
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => resident.retire('idle'), o.idleMs);
  };
  const track = async (call: Promise<void>) => {
    active++;
    clearTimeout(idle);
    await call.catch((err: Error) => o.log(`call failed: ${err.stack}`));
    active--;
    if (retiring && active === 0) done();
    else if (active === 0) armIdle();
  };
  // The pid file is complete before the socket exists: whoever finds the socket can read it.
  writePidFile(`${o.socket}.pid`);
  const inode = listen(server, o.socket);
  const resident: Resident = {
    retired,
    retire(reason) {
      if (retiring) return;
      retiring = true;
      o.log(`retiring: ${reason}`);
      clearTimeout(idle);
      server.close();
      o.freshness.close();
      // Only our own socket: a successor may already listen on the same path.
      if (statSync(o.socket, { throwIfNoEntry: false })?.ino === inode) rmSync(o.socket, { force: true });
      if (readPid(`${o.socket}.pid`) === process.pid) rmSync(`${o.socket}.pid`, { force: true });
      closeSync(o.lockFd);
      if (active === 0) done();
    },
  };
  armIdle();
  return resident;
}

function readPid(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function writePidFile(path: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${process.pid}\n`);
  renameSync(temp, path);
}

function listen(server: Server, socket: string): number {
  rmSync(socket, { force: true });
  // The socket is created 0600 from the start (bind happens synchronously inside listen).
  const umask = process.umask(0o077);
  try {
    server.listen(socket);
  } finally {
    process.umask(umask);
  }
  chmodSync(socket, 0o600);
  return statSync(socket).ino;
}

/** One call: request → ack (or slow) → proceed → the protocol's frames; then the connection ends. */
async function serve<R>(conn: Socket, o: ResidentOptions<R>, resident: Resident): Promise<void> {
  conn.on('error', () => {});
  const reader = new FrameReader(conn);
  const first = (await reader.next())?.map((f) => f.toString('utf8'));
  const [kind, version, ...fields] = first ?? [];
  const request = kind === 'request' && version === o.protocol.version ? o.protocol.parse(fields) : undefined;
  const stale = o.freshness.stale();
  const served = request !== undefined && sameCaller(conn) && !stale && (await o.protocol.accepts(request));
  if (!served) {
    // The front-end runs the call itself. A stale process makes way for a fresh one first: the
    // lock is free by the time the front-end, told `slow`, starts the successor.
    if (stale) resident.retire('its sources changed');
    conn.end(frame(['slow']));
    return;
  }
  conn.write(frame(['ack']));
  const proceed = await reader.next();
  if (proceed?.[0]?.toString() !== 'proceed') {
    conn.destroy();
    return;
  }
  await o.protocol.run(request, { conn, reader });
  conn.end();
}

/**
 * Serves only callers of its own uid in its own pid, mount, network and user namespaces: a caller
 * elsewhere reports pids and paths this process would misread.
 */
function sameCaller(conn: Socket): boolean {
  const fd = (conn as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  const peer = fd >= 0 ? peerCredentials(fd) : undefined;
  return peer !== undefined && peer.uid === process.getuid?.() && sharesNamespaces(peer.pid);
}

/** Parses `KEY=value` entries (the front-end sends the caller's whole environment). */
export function parseEnv(entries: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** A log line on stderr (the front-end points it at `SOCKET.log`): time, `name`, pid, message. */
export function residentLog(name: string): (message: string) => void {
  return (message) =>
    process.stderr.write(`${new Date().toISOString()} ${name} ${process.pid}: ${message}\n`);
}

/** What an entry point starts with, read from `<PREFIX>_SOCKET`, `_IDLE`, `_LOCK_FD` and `_WATCH`. */
export interface ResidentStart {
  socket: string;
  idleMs: number;
  lockFd: number;
  log: (message: string) => void;
  /** Directories the freshness watch adds to the sources (tests simulate an upgrade with them). */
  extraWatch: string[];
}

/**
 * The entry point's first part: the socket the front-end named (exit 2 when unset: started by
 * hand without one), the idle time, the log, and the "only one of me" lock (exit 0 when another
 * process holds it).
 */
export function residentStart(o: {
  envPrefix: string;
  name: string;
  noun: string;
  startedBy: string;
}): ResidentStart {
  const env = (suffix: string) => process.env[`${o.envPrefix}_${suffix}`];
  const socket = env('SOCKET') ?? '';
  if (!socket) {
    process.stderr.write(
      `${o.name}: set ${o.envPrefix}_SOCKET (${o.startedBy} starts the ${o.noun} itself)\n`,
    );
    process.exit(2);
  }
  const log = residentLog(o.name);
  const lockFd = holdLock(socket, env('LOCK_FD'));
  if (lockFd === undefined) {
    log(`another ${o.noun} holds the lock; exiting`);
    process.exit(0);
  }
  const idleMs = Number(env('IDLE') || 300) * 1000;
  return { socket, idleMs, lockFd, log, extraWatch: (env('WATCH') ?? '').split(':').filter(Boolean) };
}

/**
 * The entry point's last part: SIGTERM, SIGINT and SIGHUP retire the process, stray errors are
 * logged rather than fatal to the calls in flight, and the process exits once it has retired.
 */
export async function serveUntilRetired(resident: Resident, log: (message: string) => void): Promise<never> {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.on(signal, () => resident.retire(signal));
  process.on('uncaughtException', (err) => log(`uncaught: ${err.stack}`));
  process.on('unhandledRejection', (err) => log(`unhandled rejection: ${(err as Error)?.stack ?? err}`));
  await resident.retired;
  log('stopped');
  process.exit(0);
}
