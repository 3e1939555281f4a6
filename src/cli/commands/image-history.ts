// `berth image history IMAGE` (`berth history`): the steps that built an image, newest first, as
// `docker history` shows them, each step that made a layer next to that layer's stored size.
import { BerthError } from '../../core/index.ts';
import {
  type ContentStore,
  type Descriptor,
  type HistoryEntry,
  type ImageRecord,
  parseImageConfig,
} from '../../image/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { formatTable } from '../output.ts';
import { imageContext, requirePositional, STORE_HELP, STORE_OPTIONS, usage } from './image-context.ts';
import { age } from './image-list.ts';
import { formatBytes } from './image-progress.ts';

/** One row of `berth history`, newest first; `--json` prints these. */
export interface HistoryRow {
  /** The image ID on the top row; the steps below it have no image of their own (`<missing>`). */
  id: string | null;
  created: string | null;
  createdBy: string;
  /** Bytes of the layer blob as stored (compressed); 0 for a step that made no layer. */
  size: number;
  comment: string;
  emptyLayer: boolean;
  /** The digest of the layer blob this step made, or null. */
  layer: string | null;
}

/** How the rows print: `--no-trunc`, `-q`, and the clock CREATED counts back from. */
export interface HistoryView {
  noTrunc: boolean;
  quiet: boolean;
  now: number;
}

/** docker's width for CREATED BY, the ellipsis included. */
const CREATED_BY_WIDTH = 45;

export const imageHistoryCommand: Command = {
  name: 'history',
  hosted: true,
  summary: "Show an image's history: the step that made each layer, newest first",
  usage: 'image history [--no-trunc] [-q] IMAGE',
  description:
    'SIZE is the compressed size of each layer as stored: Berth does not unpack an image to show its history.',
  options: { ...STORE_OPTIONS, 'no-trunc': { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
  optionHelp: {
    ...STORE_HELP,
    'no-trunc': 'show CREATED BY in full, and the full image ID',
    quiet: 'print only the IMAGE column (the image ID on the top row, <missing> below)',
  },
  async run(ctx: CommandContext) {
    const name = requirePositional(ctx, 0, 'image', 'history');
    if (ctx.positionals.length > 1) throw usage('history: expects exactly one IMAGE', 'history');
    const { images, content } = imageContext(ctx);
    const image = await images.get(name);
    const config = parseImageConfig(await readConfig(content, image, name));
    const rows = historyRows(image, config.history);
    const view = {
      noTrunc: ctx.values['no-trunc'] === true,
      quiet: ctx.values.quiet === true,
      now: Date.now(),
    };
    return { data: rows, render: (r: HistoryRow[]) => renderHistory(r, view) };
  },
};

/**
 * Matches the config's history (oldest first) to the image's layers: each step that made a layer
 * takes the next one; layers no step accounts for (a config without history) get a row of their
 * own. Returns the rows newest first, the image ID on the top one.
 */
export function historyRows(
  image: { id: string; layers: Descriptor[] },
  history: HistoryEntry[],
): HistoryRow[] {
  const rows: HistoryRow[] = [];
  let next = 0;
  for (const entry of history) {
    const layer = entry.emptyLayer ? undefined : image.layers[next++];
    if (!entry.emptyLayer && !layer) throw tooManySteps(image, history);
    rows.push(historyRow(entry, layer));
  }
  for (const layer of image.layers.slice(next)) rows.push(historyRow({ emptyLayer: false }, layer));
  rows.reverse();
  if (rows[0]) rows[0].id = image.id;
  return rows;
}

function historyRow(entry: HistoryEntry, layer: Descriptor | undefined): HistoryRow {
  return {
    id: null,
    created: entry.created ?? null,
    createdBy: entry.createdBy ?? '',
    size: layer?.size ?? 0,
    comment: entry.comment ?? '',
    emptyLayer: entry.emptyLayer,
    layer: layer?.digest ?? null,
  };
}

/** The table docker prints (IMAGE, CREATED, CREATED BY, SIZE, COMMENT), or with `quiet` its IMAGE column. */
export function renderHistory(rows: HistoryRow[], view: HistoryView): string {
  const ids = rows.map((r) => (r.id === null ? '<missing>' : view.noTrunc ? r.id : r.id.slice(7, 19)));
  if (view.quiet) return ids.map((id) => `${id}\n`).join('');
  const cells = rows.map((r, i) => [
    ids[i] ?? '',
    age(r.created ?? undefined, view.now),
    createdByCell(r.createdBy, view.noTrunc),
    formatBytes(r.size),
    r.comment,
  ]);
  return formatTable(['image', 'created', 'created by', 'size', 'comment'], cells);
}

/** CREATED BY on one line (a heredoc `RUN` would break the table), cut to 45 characters unless `noTrunc`. */
export function createdByCell(createdBy: string, noTrunc: boolean): string {
  const line = createdBy.replace(/[\t\r\n]+/g, ' ');
  const chars = [...line];
  if (noTrunc || chars.length <= CREATED_BY_WIDTH) return line;
  return `${chars.slice(0, CREATED_BY_WIDTH - 1).join('')}…`;
}

/** The image's config blob, or an error that names the image whose config is gone. */
async function readConfig(content: ContentStore, image: ImageRecord, name: string): Promise<Buffer> {
  try {
    return await content.readBytes(image.config.digest);
  } catch (err) {
    if (!(err instanceof BerthError) || err.code !== 'ERR_IMAGE_BLOB_NOT_FOUND') throw err;
    throw new BerthError({
      code: 'ERR_IMAGE_BLOB_NOT_FOUND',
      category: 'NotFound',
      message: `image ${name}: its config ${image.config.digest} is not in the content store`,
      hint: `remove the image (berth rmi ${name}) and pull or load it again`,
      cause: err,
    });
  }
}

function tooManySteps(image: { id: string; layers: Descriptor[] }, history: HistoryEntry[]): BerthError {
  const steps = history.filter((h) => !h.emptyLayer).length;
  return new BerthError({
    code: 'ERR_IMAGE_CONFIG_INVALID',
    category: 'InvalidArgument',
    message: `image ${image.id}: its config's history has ${steps} steps that made a layer, its manifest ${image.layers.length} layers`,
  });
}
