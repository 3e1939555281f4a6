import { asBerthError } from '../core/index.ts';

/** Formats rows as an aligned text table with upper-case headers. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return `${[line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n')}\n`;
}

/** Formats a thrown value as `berth: <message>` plus hint; with `debug`, the stack and causes too. */
export function formatError(err: unknown, options: { debug: boolean; prog?: string }): string {
  const error = asBerthError(err);
  const prog = options.prog ?? 'berth';
  const lines = [`${prog}: ${error.message}`];
  if (error.hint) lines.push(`hint: ${error.hint}`);
  if (options.debug) {
    lines.push(`code: ${error.code}`);
    let cause: unknown = err;
    while (cause instanceof Error) {
      lines.push(cause.stack ?? String(cause));
      cause = cause.cause;
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Formats a thrown value as the JSON object `--json` callers parse. */
export function formatErrorJson(err: unknown): string {
  return `${JSON.stringify({ error: asBerthError(err).toJSON() })}\n`;
}
