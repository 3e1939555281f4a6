import { startContainer } from '../../container/start.ts';
import { parseVerbArgs, requireId } from '../args.ts';
import type { Verb } from '../verb.ts';

export const verb: Verb = {
  usage: 'start ID',
  summary: 'Start the process of a created container.',
  async run(ctx) {
    const { positionals } = parseVerbArgs('start', ctx.argv, {});
    const warnings = await startContainer(ctx.store, requireId('start', positionals));
    for (const w of warnings) ctx.warn(w);
    return 0;
  },
};
