// Entry point of the runtime planner, started detached by native/frontend.c (or by hand).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { holdLock, watchSources } from '../../core/resident/index.ts';
import { startPlanner } from './server.ts';

// The front-end names the socket (one per installation); by hand, say which one.
const socket = process.env.BERTH_RUNTIME_PLANNER_SOCKET ?? '';
if (!socket) {
  process.stderr.write(
    'planner: set BERTH_RUNTIME_PLANNER_SOCKET (berth-runtime starts the planner itself)\n',
  );
  process.exit(2);
}
const idleSeconds = Number(process.env.BERTH_RUNTIME_PLANNER_IDLE || 300);
const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (message: string) =>
  process.stderr.write(`${new Date().toISOString()} planner ${process.pid}: ${message}\n`);

const lockFd = holdLock(socket, process.env.BERTH_RUNTIME_PLANNER_LOCK_FD);
if (lockFd === undefined) {
  log('another planner holds the lock; exiting');
  process.exit(0);
}
const planner = startPlanner({
  socket,
  lockFd,
  idleMs: idleSeconds * 1000,
  // BERTH_RUNTIME_PLANNER_WATCH adds directories (tests use it to simulate an upgrade).
  freshness: watchSources([
    join(src, 'runtime'),
    join(src, 'core'),
    ...(process.env.BERTH_RUNTIME_PLANNER_WATCH ?? '').split(':').filter(Boolean),
  ]),
  log,
});
log(`serving on ${socket}`);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
  process.on(signal, () => planner.retire(signal));
process.on('uncaughtException', (err) => log(`uncaught: ${err.stack}`));
process.on('unhandledRejection', (err) => log(`unhandled rejection: ${(err as Error)?.stack ?? err}`));
await planner.retired;
log('stopped');
process.exit(0);
