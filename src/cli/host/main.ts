// Entry point of the CLI host, started detached by bin/berth's front-end (native/cli-frontend.c)
// or by hand. It serves the commands marked `hosted` for as long as calls keep coming.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { residentStart, serveUntilRetired, startResident, watchSources } from '../../core/resident/index.ts';
import { cliHostProtocol } from './protocol.ts';
import { warmUp } from './warm.ts';

const start = residentStart({
  envPrefix: 'BERTH_CLI_HOST',
  name: 'cli host',
  noun: 'host',
  startedBy: 'berth',
});
const { socket, log } = start;
const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The first call should not pay for loading what the hosted commands use.
await warmUp();
const host = startResident({
  socket,
  lockFd: start.lockFd,
  idleMs: start.idleMs,
  // Any change under src/ (an upgrade, a checkout) retires the host before it serves stale code;
  // BERTH_CLI_HOST_WATCH adds directories (tests use it to simulate an upgrade).
  freshness: watchSources([src, ...start.extraWatch]),
  log,
  protocol: cliHostProtocol(log),
});
log(`serving on ${socket}`);
await serveUntilRetired(host, log);
