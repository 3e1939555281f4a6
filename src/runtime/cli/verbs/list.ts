import { readdirSync } from 'node:fs';
import { containerState, type RuntimeState } from '../../container/state.ts';
import { parseVerbArgs, usage } from '../args.ts';
import type { Verb } from '../verb.ts';

export const verb: Verb = {
  usage: 'list [--format table|json] [--quiet]',
  summary: 'List the containers under --root.',
  async run(ctx) {
    const { values } = parseVerbArgs('list', ctx.argv, {
      format: { type: 'string', short: 'f', default: 'table' },
      quiet: { type: 'boolean', short: 'q' },
    });
    let ids: string[] = [];
    try {
      ids = readdirSync(ctx.store.root).sort();
    } catch {}
    const states: RuntimeState[] = [];
    for (const id of ids) {
      try {
        states.push(containerState(ctx.store, id));
      } catch {
        // A directory without state.json is a create in progress or not ours.
      }
    }
    if (values.quiet) ctx.stdout(states.map((s) => `${s.id}\n`).join(''));
    else if (values.format === 'json') ctx.stdout(`${JSON.stringify(states)}\n`);
    else if (values.format === 'table') ctx.stdout(table(states));
    else throw usage('list', `unknown format '${values.format}'`);
    return 0;
  },
};

function table(states: RuntimeState[]): string {
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
  for (const s of states) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || 'root']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 4))).join(''),
  );
  return `${lines.join('\n')}\n`;
}
