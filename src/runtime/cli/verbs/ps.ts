import { execFileSync } from 'node:child_process';
import { containerProcesses } from '../../container/ps.ts';
import { parseVerbArgs, requireId, usage } from '../args.ts';
import type { Verb } from '../verb.ts';

export const verb: Verb = {
  usage: 'ps [--format table|json] ID [ps options]',
  summary: 'List the processes running in a container.',
  async run(ctx) {
    const { values, positionals } = parseVerbArgs(
      'ps',
      ctx.argv,
      { format: { type: 'string', short: 'f', default: 'table' } },
      1,
    );
    const [id = '', ...psArgs] = positionals;
    const pids = await containerProcesses(ctx.store, requireId('ps', [id]));
    if (values.format === 'json') {
      ctx.stdout(`${JSON.stringify(pids)}\n`);
      return 0;
    }
    if (values.format !== 'table') throw usage('ps', `unknown format '${values.format}'`);
    const lines = execFileSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' }).split('\n');
    const header = lines[0] ?? '';
    const pidColumn = header.trim().split(/\s+/).indexOf('PID');
    const keep = lines.slice(1).filter((l) => pids.includes(Number(l.trim().split(/\s+/)[pidColumn])));
    ctx.stdout(`${[header, ...keep].join('\n')}\n`);
    return 0;
  },
};
