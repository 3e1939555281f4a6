import { createContainer } from '../../container/create.ts';
import { type FlagSpec, parseVerbArgs, requireId } from '../args.ts';
import type { Verb, VerbContext } from '../verb.ts';

/** Flags `create` and `run` share (runc's names). */
export const CREATE_FLAGS: FlagSpec = {
  bundle: { type: 'string', short: 'b', default: '.' },
  'pid-file': { type: 'string' },
  'console-socket': { type: 'string' },
  'no-pivot': { type: 'boolean' },
  'no-new-keyring': { type: 'boolean' },
  'preserve-fds': { type: 'string' },
};

export function createOptions(ctx: VerbContext, verb: string, flags: FlagSpec) {
  const { values, positionals } = parseVerbArgs(verb, ctx.argv, flags);
  return {
    values,
    options: {
      store: ctx.store,
      id: requireId(verb, positionals),
      bundle: values.bundle as string,
      pidFile: values['pid-file'] as string | undefined,
      consoleSocket: values['console-socket'] as string | undefined,
      noPivot: values['no-pivot'] === true,
      noNewKeyring: values['no-new-keyring'] === true,
      preserveFds: Number(values['preserve-fds'] ?? 0) || 0,
      systemdCgroup: ctx.global.systemdCgroup,
      warn: ctx.warn,
    },
  };
}

export const verb: Verb = {
  usage:
    'create [--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] [--no-pivot] [--no-new-keyring] [--preserve-fds N] ID',
  summary: 'Create a container; its process waits until `start`.',
  async run(ctx) {
    const { options } = createOptions(ctx, 'create', CREATE_FLAGS);
    const { launcher } = await createContainer(options);
    launcher.close();
    return 0;
  },
};
