// Entry point of `bin/berthd`: the daemon that serves Berth's REST API on a unix socket.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, defaultPaths, type LogLevel } from '../core/index.ts';
import { startDaemon } from './daemon.ts';

const HELP = `Usage: berthd [--socket PATH] [--state-dir DIR] [--log-level debug|info|warn|error] [--log-format json|text]

Serves Berth's REST API on a unix socket (default /run/berth/berthd.sock, or $BERTH_RUN_DIR/berthd.sock)
for the state directory DIR (default /var/lib/berth, or $BERTH_STATE_DIR): images pulled through
the daemon land in DIR, and the CLI uses the daemon only when its own state directory is DIR.
Logs one JSON object a line on stderr. Stops cleanly on SIGTERM or SIGINT.
`;

const LEVELS = ['debug', 'info', 'warn', 'error'];

async function run(): Promise<number> {
  let values: {
    socket?: string;
    'state-dir'?: string;
    'log-level'?: string;
    'log-format'?: string;
    help?: boolean;
  };
  try {
    values = parseArgs({
      options: {
        socket: { type: 'string' },
        'state-dir': { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const level = values['log-level'] ?? 'info';
  const format = values['log-format'] ?? 'json';
  if (!LEVELS.includes(level) || !['json', 'text'].includes(format)) {
    process.stderr.write(
      `berthd: --log-level must be one of ${LEVELS.join(', ')}; --log-format json or text\n`,
    );
    return 2;
  }
  const log = createLogger({
    level: level as LogLevel,
    format: format as 'json' | 'text',
    fields: { component: 'berthd' },
  });
  const paths = defaultPaths();
  const socketPath = values.socket ?? `${paths.runDir}/berthd.sock`;
  const stateDir = resolve(values['state-dir'] ?? paths.stateDir);
  try {
    const daemon = await startDaemon({ socketPath, stateDir, log });
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
    });
    await daemon.stop();
    return 0;
  } catch (err) {
    log.error('berthd failed', { err: err as Error, code: (err as { code?: string }).code });
    return 1;
  }
}

process.exitCode = await run();
