import { killContainer, parseSignal } from '../../container/kill.ts';
import { parseVerbArgs, requireId } from '../args.ts';
import type { Verb } from '../verb.ts';

export const verb: Verb = {
  usage: 'kill [--all] ID [SIGNAL]',
  summary: "Send a signal (default TERM) to a container's init, or with --all to all its processes.",
  async run(ctx) {
    const { values, positionals } = parseVerbArgs('kill', ctx.argv, { all: { type: 'boolean', short: 'a' } });
    const id = requireId('kill', positionals, 2);
    await killContainer(ctx.store, id, parseSignal(positionals[1]), values.all === true);
    return 0;
  },
};
