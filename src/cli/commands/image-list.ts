import { join } from 'node:path';
import { defaultPaths } from '../../core/index.ts';
import {
  type CollectSnapshotsResult,
  collectGarbage,
  collectSnapshots,
  type Digest,
  familiarName,
  type ImageRecord,
  parseImageConfig,
  parseReference,
  type RemoveResult,
} from '../../image/index.ts';
import { liveRuns, recoverRunLeftovers } from '../../instance/index.ts';
import { OverlaySnapshotter } from '../../storage/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { formatError, formatTable } from '../output.ts';
import {
  imageContext,
  requirePositional,
  STORE_HELP,
  STORE_OPTIONS,
  stateDirOf,
  usage,
} from './image-context.ts';
import { formatBytes } from './image-progress.ts';

export const imageListCommand: Command = {
  name: 'ls',
  hosted: true,
  aliases: ['list'],
  summary: 'List images in the store',
  usage: 'image ls [-q]',
  options: { ...STORE_OPTIONS, quiet: { type: 'boolean', short: 'q' } },
  optionHelp: { ...STORE_HELP, quiet: 'print image IDs only' },
  async run(ctx: CommandContext) {
    const images = await imageContext(ctx).images.list();
    const quiet = ctx.values.quiet === true;
    return { data: images, render: (list: ImageRecord[]) => (quiet ? renderIds(list) : renderTable(list)) };
  },
};

/** `images -q`: short IDs, each once (as `docker images -q`), however many names an image has. */
export function renderIds(list: ImageRecord[]): string {
  return [...new Set(list.map((i) => i.id.slice(7, 19)))].map((id) => `${id}\n`).join('');
}

function renderTable(list: ImageRecord[]): string {
  const rows: string[][] = [];
  for (const image of list) {
    const names = image.names.length > 0 ? image.names : [undefined];
    for (const name of names) {
      const ref = name ? parseReference(name) : undefined;
      const repo = ref ? familiarName({ registry: ref.registry, repository: ref.repository }) : '<none>';
      rows.push([
        repo,
        ref?.tag ?? '<none>',
        image.id.slice(7, 19),
        age(image.created),
        formatBytes(image.size),
      ]);
    }
  }
  return formatTable(['repository', 'tag', 'image id', 'created', 'size'], rows);
}

/** How long ago `created` was, as `berth images` and `berth history` show it: `3 days ago`. */
export function age(created: string | undefined, now = Date.now()): string {
  if (!created) return 'unknown';
  const seconds = (now - Date.parse(created)) / 1000;
  if (!Number.isFinite(seconds)) return 'unknown';
  const steps: [number, string][] = [
    [365 * 86400, 'year'],
    [30 * 86400, 'month'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of steps) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return `${n} ${unit}${n > 1 ? 's' : ''} ago`;
  }
  return 'just now';
}

interface RemoveReport extends RemoveResult {
  /** Bytes of the blobs removed. */
  freedBytes: number;
  /** The unpacked layers removed: those of the deleted images that no remaining image uses. */
  snapshots: CollectSnapshotsResult;
}

/** Removes the unpacked layers no image needs (only those of `onlyImages`, when given). */
function collectLayers(ctx: CommandContext, onlyImages?: Digest[]): Promise<CollectSnapshotsResult> {
  const stateDir = stateDirOf(ctx);
  const { images, content } = imageContext(ctx);
  const snapshotter = new OverlaySnapshotter(join(stateDir, 'snapshots', 'overlay'));
  return collectSnapshots({ snapshotter, images, content, stateDir, onlyImages });
}

/** `Deleted 3 unpacked layers, freed 5 MB`, or why none were looked at. */
function renderLayers(r: CollectSnapshotsResult): string {
  if (r.skipped !== undefined) return `${r.skipped}: unpacked layers were left\n`;
  return `Deleted ${r.removed.length} unpacked layers, freed ${formatBytes(r.freedBytes)}\n`;
}

export const imageRemoveCommand: Command = {
  name: 'rm',
  hosted: true,
  aliases: ['remove'],
  summary: 'Remove images (and the blobs no other image uses)',
  description:
    'An image a running container uses is not deleted, even with --force; removing one of its several names only untags it.',
  usage: 'image rm [-f] IMAGE...',
  options: { ...STORE_OPTIONS, force: { type: 'boolean', short: 'f' } },
  optionHelp: { ...STORE_HELP, force: 'remove an image by ID even when several names point to it' },
  async run(ctx: CommandContext) {
    requirePositional(ctx, 0, 'image', 'rm');
    const { images, content } = imageContext(ctx);
    const report: RemoveReport = {
      untagged: [],
      deleted: [],
      blobs: [],
      freedBytes: 0,
      snapshots: { removed: [], freedBytes: 0, orphansRemoved: 0 },
    };
    const running = liveRuns(stateDirOf(ctx));
    const usedBy = (id: Digest) => running.find((r) => r.image === id)?.id;
    for (const name of ctx.positionals) {
      const result = await images.remove(name, { force: ctx.values.force === true, usedBy });
      report.untagged.push(...result.untagged);
      report.deleted.push(...result.deleted);
      report.blobs.push(...result.blobs);
    }
    // Layers first: which ones the deleted images used is read from their configs, still stored.
    if (report.deleted.length > 0) report.snapshots = await collectLayers(ctx, report.deleted);
    if (report.blobs.length > 0) {
      report.freedBytes = (await collectGarbage({ content, images, only: report.blobs })).freedBytes;
    }
    return { data: report, render: renderRemove };
  },
};

/** Docker's `rmi` lines (layers as `Deleted:` too), then what was freed. */
function renderRemove(r: RemoveReport): string {
  const lines = [
    ...r.untagged.map((n) => `Untagged: ${n}`),
    ...r.deleted.map((d) => `Deleted: ${d}`),
    ...r.snapshots.removed.map((key) => `Deleted: ${key}`),
    '',
  ].join('\n');
  const freed = r.freedBytes + r.snapshots.freedBytes;
  const skipped = r.snapshots.skipped === undefined ? '' : renderLayers(r.snapshots);
  return `${lines}${freed > 0 ? `Freed ${formatBytes(freed)}\n` : ''}${skipped}`;
}

export const imageInspectCommand: Command = {
  name: 'inspect',
  hosted: true,
  summary: 'Show an image: names, manifest, layers and config',
  usage: 'image inspect IMAGE',
  options: { ...STORE_OPTIONS },
  optionHelp: STORE_HELP,
  async run(ctx: CommandContext) {
    const name = requirePositional(ctx, 0, 'image', 'inspect');
    const { images, content } = imageContext(ctx);
    const record = await images.get(name);
    const config = parseImageConfig(await content.readBytes(record.config.digest));
    const data = { ...record, imageConfig: config };
    return { data, render: (d: typeof data) => `${JSON.stringify(d, null, 2)}\n` };
  },
};

export const imageTagCommand: Command = {
  name: 'tag',
  hosted: true,
  summary: 'Give an image another name',
  usage: 'image tag SOURCE TARGET',
  options: { ...STORE_OPTIONS },
  optionHelp: STORE_HELP,
  async run(ctx: CommandContext) {
    const source = requirePositional(ctx, 0, 'source image', 'tag');
    const target = requirePositional(ctx, 1, 'target name', 'tag');
    if (ctx.positionals.length > 2) throw usage('tag: expects exactly SOURCE and TARGET', 'tag');
    const record = await imageContext(ctx).images.tag(source, target);
    return { data: record, render: () => '' };
  },
};

export const imagePruneCommand: Command = {
  name: 'prune',
  hosted: true,
  summary: 'Delete blobs and unpacked layers no image uses, and stale partial downloads',
  usage: 'image prune [--grace SECONDS]',
  description:
    'Blobs and partial downloads younger than the grace period (default 600 s) are kept: a pull may be recording them.\n' +
    'Unpacked layers a container still runs on are kept; while a build runs, no unpacked layer is removed.\n' +
    "What a 'berth run' killed with SIGKILL left (its container, mount and snapshot) is cleaned up first.",
  options: { ...STORE_OPTIONS, grace: { type: 'string' } },
  optionHelp: {
    ...STORE_HELP,
    grace: 'keep unreferenced blobs younger than this many seconds (default 600)',
  },
  async run(ctx: CommandContext) {
    const { images, content } = imageContext(ctx);
    const grace = ctx.values.grace === undefined ? 600 : Number(ctx.values.grace);
    if (!(grace >= 0))
      throw usage(`prune: --grace '${String(ctx.values.grace)}' is not a number of seconds`, 'image');
    // Killed runs first: their snapshots hold on to the layers under them.
    const runs = await recoverRunLeftovers({
      stateDir: stateDirOf(ctx),
      runDir: defaultPaths(ctx.io.env).runDir,
    });
    for (const warning of runs.failed) ctx.io.stderr.write(formatError(warning, { debug: ctx.debug }));
    const blobs = await collectGarbage({ content, images, gracePeriodMs: grace * 1000 });
    const result = { ...blobs, snapshots: await collectLayers(ctx), runsRecovered: runs.recovered };
    return {
      data: result,
      render: (r: typeof result) =>
        (r.runsRecovered.length > 0 ? `Cleaned up after ${r.runsRecovered.length} killed runs\n` : '') +
        `Deleted ${r.removed.length} blobs and ${r.partialsRemoved} partial downloads, freed ${formatBytes(r.freedBytes)}\n` +
        renderLayers(r.snapshots),
    };
  },
};
