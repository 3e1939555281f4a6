// `berth save`, `berth load`, `berth import` (also `berth image save|load|import`).
import { BerthError, defaultPaths } from '../../core/index.ts';
import {
  type ArchiveFormat,
  type ArchiveProgress,
  ContentStore,
  type ImageRecord,
  ImageStore,
  importRootfs,
  type LoadResult,
  loadImages,
  type SaveResult,
  saveImages,
} from '../../image/index.ts';
import type { Command, CommandContext } from '../command.ts';

const STATE_OPTIONS = { 'state-dir': { type: 'string' } } as const;
const STATE_HELP = { 'state-dir': 'Berth state directory (default /var/lib/berth, or BERTH_STATE_DIR)' };
const FORMATS: readonly ArchiveFormat[] = ['docker', 'oci', 'oci-dir'];

/** The content and image stores of the state directory the flags or environment name. */
export function archiveStores(ctx: CommandContext): { content: ContentStore; images: ImageStore } {
  const flag = ctx.values['state-dir'];
  const stateDir = typeof flag === 'string' ? flag : defaultPaths().stateDir;
  return { content: ContentStore.forStateDir(stateDir), images: ImageStore.forStateDir(stateDir) };
}

/** Progress as plain lines on stderr; nothing with --json. */
export function progressLines(ctx: CommandContext): (line: string) => void {
  return ctx.json ? () => {} : (line) => process.stderr.write(`${line}\n`);
}

function archiveProgress(ctx: CommandContext, verb: string): (event: ArchiveProgress) => void {
  const line = progressLines(ctx);
  return (e) => {
    if (e.kind === 'blob') line(`${verb} ${e.digest.slice(7, 19)} (${formatSize(e.size)})`);
    else line(`Loaded image ${e.id.slice(7, 19)}${e.names.length ? `: ${e.names.join(', ')}` : ''}`);
  };
}

export const saveCommand: Command = {
  name: 'save',
  summary: 'Save images to a docker-save archive or an OCI layout',
  usage: 'save [-o FILE|DIR] [--format docker|oci|oci-dir] IMAGE...',
  description:
    'docker: an archive `docker load` (any version), skopeo and Berth read (also an OCI layout).\n' +
    'oci: an OCI image layout in a tar; oci-dir: an OCI image layout directory (umoci, skopeo oci:).\n' +
    'Without -o the tar goes to stdout (when it is not a terminal).',
  options: { ...STATE_OPTIONS, output: { type: 'string', short: 'o' }, format: { type: 'string' } },
  optionHelp: {
    ...STATE_HELP,
    output: 'write to this file (or directory, for oci-dir)',
    format: 'docker (default), oci or oci-dir',
  },
  async run(ctx) {
    if (ctx.positionals.length === 0) throw usage('save: missing image name', 'save');
    const format = (ctx.values.format ?? 'docker') as ArchiveFormat;
    if (!FORMATS.includes(format))
      throw usage(`save: unknown format '${format}' (docker, oci, oci-dir)`, 'save');
    const file = typeof ctx.values.output === 'string' ? ctx.values.output : undefined;
    if (!file && (format === 'oci-dir' || process.stdout.isTTY || ctx.json)) {
      throw usage(
        'save: give -o FILE (refusing to write an archive to a terminal or mix it with --json)',
        'save',
      );
    }
    const { content, images } = archiveStores(ctx);
    const result = await saveImages({
      refs: ctx.positionals,
      content,
      images,
      format,
      output: file ?? process.stdout,
      onProgress: file ? archiveProgress(ctx, 'Saved') : undefined,
    });
    return {
      data: { ...result, output: file ?? '-' },
      render: (r: SaveResult) =>
        file ? `Saved ${r.images.length} image(s) to ${file} (${format}, ${formatSize(r.bytes)})\n` : '',
    };
  },
};

export const loadCommand: Command = {
  name: 'load',
  summary: 'Load images from a docker-save archive or an OCI layout (tar or directory)',
  usage: 'load [-i FILE|DIR]',
  description: 'Reads stdin without -i. gzip- and zstd-compressed archives are recognized.',
  options: {
    ...STATE_OPTIONS,
    input: { type: 'string', short: 'i' },
    quiet: { type: 'boolean', short: 'q' },
  },
  optionHelp: {
    ...STATE_HELP,
    input: 'archive file or OCI layout directory (default: stdin)',
    quiet: 'no progress lines',
  },
  async run(ctx) {
    const input = typeof ctx.values.input === 'string' ? ctx.values.input : undefined;
    if (!input && process.stdin.isTTY) throw usage('load: give -i FILE or pipe an archive to stdin', 'load');
    const { content, images } = archiveStores(ctx);
    const quiet = ctx.values.quiet === true;
    const result = await loadImages({
      input: input ?? process.stdin,
      content,
      images,
      onProgress: quiet ? undefined : archiveProgress(ctx, 'Loading'),
    });
    return { data: result, render: (r: LoadResult) => r.images.map(describe).join('') };
  },
};

export const importCommand: Command = {
  name: 'import',
  summary: 'Create an image from a root filesystem tarball',
  usage: 'import [-c INSTRUCTION]... [-m MESSAGE] FILE|- [NAME[:TAG]]',
  description: '-c takes Dockerfile instructions: ENV, CMD, ENTRYPOINT, WORKDIR, USER, LABEL, EXPOSE.',
  options: {
    ...STATE_OPTIONS,
    change: { type: 'string', short: 'c', multiple: true },
    message: { type: 'string', short: 'm' },
  },
  optionHelp: {
    ...STATE_HELP,
    change: 'apply an instruction to the config, e.g. \'CMD ["sh"]\'',
    message: 'history comment',
  },
  async run(ctx) {
    const [file, reference] = ctx.positionals;
    if (!file) throw usage('import: missing FILE (or - for stdin)', 'import');
    const { content, images } = archiveStores(ctx);
    const line = progressLines(ctx);
    const record = await importRootfs({
      input: file === '-' ? process.stdin : file,
      reference,
      changes: (ctx.values.change as string[] | undefined) ?? [],
      message: typeof ctx.values.message === 'string' ? ctx.values.message : undefined,
      content,
      images,
    });
    line(`Imported ${formatSize(record.size)} as one layer`);
    return { data: record, render: describe };
  },
};

function describe(r: ImageRecord): string {
  return `${r.names.length ? r.names.join(', ') : '<none>'}  ${r.id}\n`;
}

/** `1.2 MB`-style size, decimal units as docker prints them. */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function usage(message: string, command: string): BerthError {
  return new BerthError({
    code: 'ERR_CLI_USAGE',
    category: 'InvalidArgument',
    message,
    hint: `run 'berth ${command} --help' for usage`,
  });
}

/** The archive verbs, for `berth image <verb>` as well as the short forms. */
export const imageArchiveCommands: Command[] = [saveCommand, loadCommand, importCommand];
