// Entry point of the CLI host, started detached by bin/berth's front-end (native/cli-frontend.c)
// or by hand. It serves the commands marked `hosted` for as long as calls keep coming.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  holdLock,
  residentLog,
  serveUntilRetired,
  startResident,
  watchSources,
} from '../../core/resident/index.ts';
import { cliHostProtocol } from './protocol.ts';
import { warmUp } from './warm.ts';

const socket = process.env.BERTH_CLI_HOST_SOCKET ?? '';
if (!socket) {
  process.stderr.write('cli host: set BERTH_CLI_HOST_SOCKET (berth starts the host itself)\n');
  process.exit(2);
}
const idleSeconds = Number(process.env.BERTH_CLI_HOST_IDLE || 300);
const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = residentLog('cli host');

const lockFd = holdLock(socket, process.env.BERTH_CLI_HOST_LOCK_FD);
if (lockFd === undefined) {
  log('another host holds the lock; exiting');
  process.exit(0);
}
// The first call should not pay for loading what the hosted commands use.
await warmUp();
const host = startResident({
  socket,
  lockFd,
  idleMs: idleSeconds * 1000,
  // Any change under src/ (an upgrade, a checkout) retires the host before it serves stale code;
  // BERTH_CLI_HOST_WATCH adds directories (tests use it to simulate an upgrade).
  freshness: watchSources([src, ...(process.env.BERTH_CLI_HOST_WATCH ?? '').split(':').filter(Boolean)]),
  log,
  protocol: cliHostProtocol(log),
});
log(`serving on ${socket}`);
await serveUntilRetired(host, log);
