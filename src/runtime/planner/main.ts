// Entry point of the runtime planner, started detached by native/frontend.c (or by hand).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { residentStart, serveUntilRetired, watchSources } from '../../core/resident/index.ts';
import { startPlanner } from './server.ts';

// The front-end names the socket (one per installation); by hand, say which one.
const start = residentStart({
  envPrefix: 'BERTH_RUNTIME_PLANNER',
  name: 'planner',
  noun: 'planner',
  startedBy: 'berth-runtime',
});
const { socket, log } = start;
const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const planner = startPlanner({
  socket,
  lockFd: start.lockFd,
  idleMs: start.idleMs,
  // BERTH_RUNTIME_PLANNER_WATCH adds directories (tests use it to simulate an upgrade).
  freshness: watchSources([join(src, 'runtime'), join(src, 'core'), ...start.extraWatch]),
  log,
});
log(`serving on ${socket}`);
await serveUntilRetired(planner, log);
