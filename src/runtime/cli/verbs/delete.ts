import { deleteContainer } from '../../container/delete.ts';
import { parseVerbArgs, requireId } from '../args.ts';
import type { Verb } from '../verb.ts';

export const verb: Verb = {
  usage: 'delete [--force] ID',
  summary: 'Delete a stopped container and everything it holds; --force kills a running one first.',
  async run(ctx) {
    const { values, positionals } = parseVerbArgs('delete', ctx.argv, {
      force: { type: 'boolean', short: 'f' },
    });
    const warnings = await deleteContainer(
      ctx.store,
      requireId('delete', positionals),
      values.force === true,
    );
    for (const w of warnings) ctx.warn(w);
    return 0;
  },
};
