import type { TransferProgress } from '../../image/index.ts';
import type { CommandContext } from '../command.ts';
import type { CliOutput } from '../io.ts';

/** Something that shows transfer progress while a pull or push runs; `finish` clears up. */
export interface ProgressView {
  update(event: TransferProgress): void;
  finish(): void;
}

/** Bars redrawn in place on a TTY, one plain line per finished blob otherwise, nothing when silent. */
export function progressView(options: { silent: boolean; stream: CliOutput }): ProgressView {
  if (options.silent) return { update() {}, finish() {} };
  return options.stream.isTTY ? new BarsView(options.stream) : new LinesView(options.stream);
}

/** --json and -q/--quiet show no progress: the output is the result alone, as with `docker pull -q`. */
export function progressSilenced(ctx: CommandContext): boolean {
  return ctx.json || ctx.values.quiet === true;
}

/**
 * Runs a pull or push with a progress view on the caller's stderr (none for --json or -q), cleared
 * up however the transfer ends. The view (and with it process.stderr, whose set-up loads stream
 * code) is made at the first event: a transfer that fails or falls back before reporting anything
 * costs nothing here.
 */
export async function withProgress<T>(
  ctx: CommandContext,
  transfer: (onProgress: (event: TransferProgress) => void) => Promise<T>,
): Promise<T> {
  let view: ProgressView | undefined;
  try {
    return await transfer((event) => {
      view ??= progressView({ silent: progressSilenced(ctx), stream: ctx.io.stderr });
      view.update(event);
    });
  } finally {
    view?.finish();
  }
}

const FINAL = new Set(['done', 'exists', 'mounted']);

class LinesView implements ProgressView {
  private readonly stream: CliOutput;

  constructor(stream: CliOutput) {
    this.stream = stream;
  }

  update(e: TransferProgress): void {
    if (!FINAL.has(e.status)) return;
    const verb = e.status === 'done' ? 'transferred' : e.status === 'exists' ? 'already present' : 'mounted';
    this.stream.write(`${e.kind} ${e.digest.slice(7, 19)}: ${verb} (${formatBytes(e.size)})\n`);
  }

  finish(): void {}
}

class BarsView implements ProgressView {
  private readonly stream: CliOutput;
  private readonly rows = new Map<string, TransferProgress>();
  private drawn = 0;
  private last = 0;

  constructor(stream: CliOutput) {
    this.stream = stream;
  }

  update(e: TransferProgress): void {
    this.rows.set(e.digest, e);
    const now = Date.now();
    // Redraw at most ten times a second, but always show a blob's final state.
    if (now - this.last < 100 && !FINAL.has(e.status)) return;
    this.last = now;
    this.draw();
  }

  finish(): void {
    if (this.rows.size > 0) this.draw();
  }

  private draw(): void {
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 50));
    const lines = [...this.rows.values()].map((e) => formatRow(e, width));
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    this.stream.write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
    this.drawn = lines.length;
  }
}

function formatRow(e: TransferProgress, width: number): string {
  const id = `${e.kind.padEnd(6)} ${e.digest.slice(7, 19)}`;
  if (e.status === 'exists') return `${id}  already present`;
  if (e.status === 'mounted') return `${id}  mounted`;
  if (e.status === 'waiting') return `${id}  waiting`;
  const fraction = e.size > 0 ? Math.min(1, e.done / e.size) : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}]`;
  const state = e.status === 'done' ? 'done' : `${formatBytes(e.done)}/${formatBytes(e.size)}`;
  return `${id}  ${bar} ${state}`;
}

/** `1.5 MB`: decimal units, as Docker shows sizes. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
