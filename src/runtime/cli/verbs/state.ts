import { containerState } from '../../container/state.ts';
import { parseVerbArgs, requireId } from '../args.ts';
import type { Verb } from '../verb.ts';

export const verb: Verb = {
  usage: 'state ID',
  summary: "Print a container's state as JSON.",
  async run(ctx) {
    const { positionals } = parseVerbArgs('state', ctx.argv, {});
    ctx.stdout(`${JSON.stringify(containerState(ctx.store, requireId('state', positionals)), null, 2)}\n`);
    return 0;
  },
};
