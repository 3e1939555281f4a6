import { runContainer } from '../../container/run.ts';
import type { Verb } from '../verb.ts';
import { CREATE_FLAGS, createOptions } from './create.ts';

export const verb: Verb = {
  usage:
    'run [--bundle DIR] [--detach] [--pid-file FILE] [--console-socket SOCKET] [--no-pivot] [--no-new-keyring] ID',
  summary: "Create and start a container; in the foreground, exit with the container's status.",
  async run(ctx) {
    const flags = {
      ...CREATE_FLAGS,
      detach: { type: 'boolean', short: 'd' },
      keep: { type: 'boolean' },
    } as const;
    const { values, options } = createOptions(ctx, 'run', flags);
    return runContainer({ ...options, detach: values.detach === true });
  },
};
