import { readFileSync } from 'node:fs';
import { execProcess } from '../../container/exec.ts';
import type { Process } from '../../spec/index.ts';
import { type FlagSpec, parseVerbArgs, requireId, usage } from '../args.ts';
import type { Verb, VerbContext } from '../verb.ts';

const FLAGS: FlagSpec = {
  process: { type: 'string', short: 'p' },
  tty: { type: 'boolean', short: 't' },
  cwd: { type: 'string' },
  env: { type: 'string', short: 'e', multiple: true },
  user: { type: 'string', short: 'u' },
  'additional-gids': { type: 'string', short: 'g', multiple: true },
  detach: { type: 'boolean', short: 'd' },
  'pid-file': { type: 'string' },
  'console-socket': { type: 'string' },
  'no-new-privs': { type: 'boolean' },
  'preserve-fds': { type: 'string' },
};

function processFromFlags(
  ctx: VerbContext,
  id: string,
  values: Record<string, unknown>,
  command: string[],
): Process {
  const base = ctx.store.load(id).spec.process;
  if (command.length === 0) throw usage('exec', 'requires a command to run, or --process FILE');
  const [uid, gid] = String(values.user ?? `${base?.user.uid ?? 0}:${base?.user.gid ?? 0}`).split(':');
  return {
    ...base,
    terminal: values.tty === true,
    args: command,
    env: [...(base?.env ?? []), ...((values.env as string[] | undefined) ?? [])],
    cwd: (values.cwd as string | undefined) ?? base?.cwd ?? '/',
    user: {
      uid: Number(uid),
      gid: Number(gid ?? 0),
      additionalGids:
        (values['additional-gids'] as string[] | undefined)?.map(Number) ?? base?.user.additionalGids,
    },
    noNewPrivileges: values['no-new-privs'] === true || base?.noNewPrivileges,
  };
}

export const verb: Verb = {
  usage:
    'exec [--process FILE | COMMAND ARGS…] [--tty] [--cwd DIR] [--env K=V] [--user UID[:GID]] [--detach] [--pid-file FILE] [--console-socket SOCKET] ID',
  summary: 'Run another process in a running container.',
  async run(ctx) {
    const { values, positionals } = parseVerbArgs('exec', ctx.argv, FLAGS, 1);
    const [id = '', ...command] = positionals;
    requireId('exec', [id]);
    const process = values.process
      ? (JSON.parse(readFileSync(values.process as string, 'utf8')) as Process)
      : processFromFlags(ctx, id, values, command);
    return execProcess({
      store: ctx.store,
      id,
      process,
      consoleSocket: values['console-socket'] as string | undefined,
      pidFile: values['pid-file'] as string | undefined,
      detach: values.detach === true,
      preserveFds: Number(values['preserve-fds'] ?? 0) || 0,
      warn: ctx.warn,
    });
  },
};
