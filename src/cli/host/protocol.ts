// What the CLI host does with a call from bin/berth's front-end (native/cli-frontend.c):
// `request 1 CWD TERM N ENV×N ARGV…` → ack (a hosted command) or slow → proceed → `out`/`err`
// frames as the command writes → `exit CODE`. docs/design/cli-host.md.
import type { Socket } from 'node:net';
import { BerthError } from '../../core/index.ts';
import { frame, parseEnv, type ResidentProtocol } from '../../core/resident/index.ts';
import type { CliIo, CliOutput } from '../io.ts';
import { main, runsHosted } from '../main.ts';

export const CLI_HOST_PROTOCOL = '1';

export interface CliCall {
  cwd: string;
  /** Whether the caller's stdout and stderr are terminals, and the terminal's width. */
  term: { stdout: boolean; stderr: boolean; columns: number };
  env: Record<string, string>;
  argv: string[];
}

/** Parses the fields after `request 1`: CWD, TERM (`S,E,COLUMNS`), N, ENV×N, ARGV…. */
export function parseCall([cwd = '', term = '', count = '', ...rest]: string[]): CliCall | undefined {
  const nenv = Number(count);
  const [stdout, stderr, columns] = term.split(',');
  if (!cwd.startsWith('/') || !Number.isInteger(nenv) || nenv < 0 || nenv > rest.length) return undefined;
  if (columns === undefined) return undefined;
  return {
    cwd,
    term: { stdout: stdout === '1', stderr: stderr === '1', columns: Number(columns) || 0 },
    env: parseEnv(rest.slice(0, nenv)),
    argv: rest.slice(nenv),
  };
}

/** The protocol: hosted commands run here with the caller's env, cwd and terminal. */
export function cliHostProtocol(log: (message: string) => void): ResidentProtocol<CliCall> {
  return {
    version: CLI_HOST_PROTOCOL,
    parse: parseCall,
    accepts: (call) => runsHosted(call.argv),
    run: (call, { conn }) => runCall(conn, call, log),
  };
}

async function runCall(conn: Socket, call: CliCall, log: (message: string) => void): Promise<void> {
  const controller = new AbortController();
  // The front-end died (Ctrl-C kills it): the command stops, as the process would have.
  const gone = () =>
    controller.abort(
      new BerthError({
        code: 'ERR_CLI_CALLER_GONE',
        category: 'Unavailable',
        message: 'the caller went away (interrupted)',
      }),
    );
  conn.once('close', gone);
  const io: CliIo = {
    env: call.env,
    cwd: call.cwd,
    stdout: frameOutput(conn, 'out', { isTTY: call.term.stdout, columns: call.term.columns }),
    stderr: frameOutput(conn, 'err', { isTTY: call.term.stderr, columns: call.term.columns }),
    signal: controller.signal,
  };
  let code = 1;
  try {
    code = await main(call.argv, io);
  } catch (error) {
    log(`call ${JSON.stringify(call.argv)} threw: ${(error as Error).stack}`);
    io.stderr.write(`berth: internal error in the CLI host: ${(error as Error).message}\n`);
  }
  conn.off('close', gone);
  if (!conn.destroyed) conn.write(frame(['exit', String(code)]));
}

/** Output that reaches the caller as it is written, one frame per write. */
function frameOutput(
  conn: Socket,
  kind: 'out' | 'err',
  terminal: { isTTY: boolean; columns: number },
): CliOutput {
  return {
    write: (text) => {
      if (text.length > 0 && !conn.destroyed) conn.write(frame([kind, Buffer.from(text)]));
    },
    isTTY: terminal.isTTY,
    ...(terminal.isTTY && terminal.columns > 0 ? { columns: terminal.columns } : {}),
  };
}
