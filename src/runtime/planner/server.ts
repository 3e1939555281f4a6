// The planner: a resident process that runs berth-runtime's verbs for the front-end
// (native/frontend.c), so a call does not pay for Node's start-up. docs/design/runtime-planner.md.
import { chmodSync, closeSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { runtimeMain, streamsOutput } from '../cli/main.ts';
import type { RuntimeIo } from '../cli/verb.ts';
import { FrameReader, frame } from '../container/launcher.ts';
import type { Freshness } from './freshness.ts';
import { frontendLauncher } from './frontend-launcher.ts';
import { peerCredentials, sharesNamespaces } from './peer.ts';

export const PLANNER_PROTOCOL = '1';

export interface PlannerOptions {
  socket: string;
  /** An fd holding the planner's flock; closed on retirement so a successor can start. */
  lockFd: number;
  /** Retire after this long without a call. */
  idleMs: number;
  freshness: Freshness;
  log(message: string): void;
}

/** A running planner; `retired` resolves once it stopped taking calls and the last one ended. */
export interface Planner {
  retire(reason: string): void;
  retired: Promise<void>;
}

/** Listens on `socket` (mode 0600) and serves calls until idle, stale or told to stop. */
export function startPlanner(o: PlannerOptions): Planner {
  const server = createServer((conn) => void track(serve(conn, o, planner)));
  let active = 0;
  let idle: NodeJS.Timeout | undefined;
  let retiring = false;
  let done: () => void = () => {};
  const retired = new Promise<void>((resolve) => {
    done = resolve;
  });
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => planner.retire('idle'), o.idleMs);
  };
  const track = async (call: Promise<void>) => {
    active++;
    clearTimeout(idle);
    await call;
    active--;
    if (retiring && active === 0) done();
    else if (active === 0) armIdle();
  };
  // The pid file is complete before the socket exists: whoever finds the socket can read it.
  writePidFile(`${o.socket}.pid`);
  const inode = listen(server, o.socket);
  const planner: Planner = {
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
  return planner;
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

interface CallRequest {
  cwd: string;
  env: Record<string, string>;
  argv: string[];
}

function parseRequest(fields: string[]): CallRequest | undefined {
  const [kind, protocol, cwd = '', count = ''] = fields;
  const nenv = Number(count);
  if (kind !== 'request' || protocol !== PLANNER_PROTOCOL || !Number.isInteger(nenv)) return undefined;
  const env: Record<string, string> = {};
  for (const entry of fields.slice(4, 4 + nenv)) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { cwd, env, argv: fields.slice(4 + nenv) };
}

/** One call: request → ack → proceed → (plan and launch messages) → out, err, exit. */
async function serve(conn: Socket, o: PlannerOptions, planner: Planner): Promise<void> {
  conn.on('error', () => {});
  const reader = new FrameReader(conn);
  const first = await reader.next();
  const request = first && parseRequest(first.map((f) => f.toString('utf8')));
  const fd = (conn as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  const peer = fd >= 0 ? peerCredentials(fd) : undefined;
  const sameCaller = peer !== undefined && peer.uid === process.getuid?.() && sharesNamespaces(peer.pid);
  if (!request || !sameCaller || o.freshness.stale() || streamsOutput(request.argv)) {
    // The front-end takes the slow path (a streaming call writes as it goes, which the planner's
    // answer-at-the-end cannot); a stale planner makes way for a fresh one.
    conn.end(frame(['slow']));
    if (o.freshness.stale()) planner.retire('its sources changed');
    return;
  }
  conn.write(frame(['ack']));
  const proceed = await reader.next();
  if (proceed?.[0]?.toString() !== 'proceed') {
    conn.destroy();
    return;
  }
  const code = await runCall(conn, reader, request, o);
  conn.end();
  void code;
}

async function runCall(conn: Socket, reader: FrameReader, request: CallRequest, o: PlannerOptions) {
  const out: string[] = [];
  const err: string[] = [];
  const io: RuntimeIo = {
    env: request.env,
    cwd: request.cwd,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    launch: frontendLauncher(conn, reader),
  };
  let code = 1;
  try {
    code = await runtimeMain(request.argv, io);
  } catch (error) {
    o.log(`call ${JSON.stringify(request.argv)} threw: ${(error as Error).stack}`);
    err.push(`berth-runtime: internal error in the runtime planner: ${(error as Error).message}\n`);
  }
  const frames: Buffer[] = [];
  if (out.length) frames.push(frame(['out', Buffer.from(out.join(''))]));
  if (err.length) frames.push(frame(['err', Buffer.from(err.join(''))]));
  frames.push(frame(['exit', String(code)]));
  conn.write(Buffer.concat(frames));
  return code;
}
