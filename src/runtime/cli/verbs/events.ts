import { containerStats, watchEvents } from '../../container/events.ts';
import { parseVerbArgs, requireId, usage } from '../args.ts';
import type { Verb } from '../verb.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration (`5s`, `500ms`, `1m30s`) in milliseconds. */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  const total = parts.reduce((sum, [, n, unit]) => sum + Number(n) * (UNIT_MS[unit!] ?? 0), 0);
  if (parts.map((p) => p[0]).join('') !== text || total <= 0)
    throw usage('events', `--interval: '${text}' is not a duration such as 5s or 500ms`);
  return total;
}

export const verb: Verb = {
  usage: 'events [--stats] [--interval 5s] ID',
  summary: "Print a container's cgroup statistics and OOM events as JSON lines; --stats prints them once.",
  async run(ctx) {
    const { values, positionals } = parseVerbArgs('events', ctx.argv, {
      stats: { type: 'boolean' },
      interval: { type: 'string', default: '5s' },
    });
    const id = requireId('events', positionals);
    const intervalMs = parseDuration(values.interval as string);
    if (values.stats) {
      ctx.stdout(`${JSON.stringify(await containerStats(ctx.store, id))}\n`);
      return 0;
    }
    await watchEvents({
      store: ctx.store,
      id,
      intervalMs,
      emit: (e) => ctx.stdout(`${JSON.stringify(e)}\n`),
    });
    return 0;
  },
};
