import { resumeContainer } from '../../container/pause.ts';
import { parseVerbArgs, requireId } from '../args.ts';
import type { Verb } from '../verb.ts';

export const verb: Verb = {
  usage: 'resume ID',
  summary: 'Thaw a paused container.',
  async run(ctx) {
    const { positionals } = parseVerbArgs('resume', ctx.argv, {});
    await resumeContainer(ctx.store, requireId('resume', positionals));
    return 0;
  },
};
