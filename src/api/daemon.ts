import { mkdir, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { BerthError, isErrno, type Logger } from '../core/index.ts';
import { useBlobWriterThreads } from '../image/index.ts';
import { createRoutes } from './routes/index.ts';
import { createApiServer } from './server.ts';

export interface DaemonOptions {
  socketPath: string;
  /** The state directory whose stores the daemon serves. */
  stateDir: string;
  log: Logger;
}

/** A running daemon: `stop()` closes the socket, waits for requests in flight, removes the socket. */
export interface Daemon {
  server: Server;
  stop(): Promise<void>;
}

/** Starts berthd's API on a unix socket (mode 0660), refusing to steal a socket another daemon serves. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  await mkdir(dirname(options.socketPath), { recursive: true, mode: 0o711 });
  await removeStaleSocket(options.socketPath);
  // The daemon serves pull after pull: worth the writer threads' start-up (a short command is not).
  useBlobWriterThreads();
  const server = createApiServer({ routes: createRoutes({ stateDir: options.stateDir }), log: options.log });
  // The socket is born 0660 (umask while it is created): no moment when others may connect.
  const umask = process.umask(0o117);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.socketPath, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  options.log.info('berthd listening', {
    socket: options.socketPath,
    stateDir: options.stateDir,
    pid: process.pid,
  });
  return {
    server,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await rm(options.socketPath, { force: true });
      options.log.info('berthd stopped');
    },
  };
}

async function removeStaleSocket(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path, () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new BerthError({
      code: 'ERR_API_SOCKET_IN_USE',
      category: 'Conflict',
      message: `another daemon is serving ${path}`,
      hint: 'stop it first, or give this one another --socket',
    });
  }
  await rm(path, { force: true }).catch((err: unknown) => {
    if (!isErrno(err, 'ENOENT')) throw err;
  });
}
