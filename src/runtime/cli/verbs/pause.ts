import { pauseContainer } from '../../container/pause.ts';
import { parseVerbArgs, requireId } from '../args.ts';
import type { Verb } from '../verb.ts';

export const verb: Verb = {
  usage: 'pause ID',
  summary: 'Freeze every process of a container (cgroup freezer).',
  async run(ctx) {
    const { positionals } = parseVerbArgs('pause', ctx.argv, {});
    await pauseContainer(ctx.store, requireId('pause', positionals));
    return 0;
  },
};
