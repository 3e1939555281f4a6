// Entry point of the runtime planner, started detached by native/frontend.c (or by hand).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { holdLock, residentLog, serveUntilRetired, watchSources } from '../../core/resident/index.ts';
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
const log = residentLog('planner');

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
await serveUntilRetired(planner, log);
