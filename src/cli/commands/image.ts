import type { Command, CommandContext } from '../command.ts';
import { GLOBAL_OPTIONS } from '../command.ts';
import { buildCommand } from './build.ts';
import { imageArchiveCommands } from './image-archive.ts';
import { buildBaseCommand } from './image-base.ts';
import { usage } from './image-context.ts';
import {
  imageInspectCommand,
  imageListCommand,
  imagePruneCommand,
  imageRemoveCommand,
  imageTagCommand,
} from './image-list.ts';
import { imageLoginCommand, imageLogoutCommand } from './image-login.ts';
import { imagePullCommand, imagePushCommand } from './image-transfer.ts';

const SUBCOMMANDS: Command[] = [
  imagePullCommand,
  imagePushCommand,
  imageListCommand,
  imageRemoveCommand,
  imageInspectCommand,
  imageTagCommand,
  imagePruneCommand,
  imageLoginCommand,
  imageLogoutCommand,
  ...imageArchiveCommands,
  buildBaseCommand,
  buildCommand,
];

function findSubcommand(name: string | undefined): Command {
  const sub = SUBCOMMANDS.find((c) => c.name === name || c.aliases?.includes(name ?? ''));
  if (sub) return sub;
  throw usage(
    name === undefined ? 'image: missing subcommand' : `image: unknown subcommand '${name}'`,
    'image',
  );
}

/** `berth image <sub>`: one command whose flags are the union of its subcommands', checked per subcommand. */
export const imageCommand: Command = {
  name: 'image',
  summary:
    'Manage images: pull, push, ls, rm, inspect, tag, prune, login, logout, save, load, import, build-base, build',
  usage:
    'image <pull|push|ls|rm|inspect|tag|prune|login|logout|save|load|import|build-base|build> [options] [args]',
  description: SUBCOMMANDS.map((c) => `  ${c.name.padEnd(9)}${c.summary}\n           berth ${c.usage}`).join(
    '\n',
  ),
  options: Object.assign({}, ...SUBCOMMANDS.map((c) => c.options ?? {})),
  optionHelp: Object.assign({}, ...SUBCOMMANDS.map((c) => c.optionHelp ?? {})),
  async run(ctx: CommandContext) {
    const sub = findSubcommand(ctx.positionals[0]);
    for (const [flag, value] of Object.entries(ctx.values)) {
      if (value === undefined || flag in GLOBAL_OPTIONS || flag in (sub.options ?? {})) continue;
      throw usage(`image ${sub.name}: unknown option '--${flag}'`, 'image');
    }
    return sub.run({ ...ctx, positionals: ctx.positionals.slice(1) });
  },
};

/** Docker's short forms: `berth pull`, `berth images`, `berth rmi`, … */
export const imageShortCommands: Command[] = [
  imagePullCommand,
  imagePushCommand,
  { ...imageListCommand, name: 'images', aliases: [] },
  { ...imageRemoveCommand, name: 'rmi', aliases: [] },
  imageTagCommand,
  imageLoginCommand,
  imageLogoutCommand,
  ...imageArchiveCommands,
  buildBaseCommand,
];
