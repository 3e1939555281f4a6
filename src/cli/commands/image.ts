import type { Command } from '../command.ts';
import { buildCommand } from './build.ts';
import { imageArchiveCommands } from './image-archive.ts';
import { buildBaseCommand } from './image-base.ts';
import { imageHistoryCommand } from './image-history.ts';
import {
  imageInspectCommand,
  imageListCommand,
  imagePruneCommand,
  imageRemoveCommand,
  imageTagCommand,
} from './image-list.ts';
import { imageLoginCommand, imageLogoutCommand } from './image-login.ts';
import { imagePullCommand } from './image-pull.ts';
import { imagePushCommand } from './image-transfer.ts';

const SUBCOMMANDS: Command[] = [
  imagePullCommand,
  imagePushCommand,
  imageListCommand,
  imageRemoveCommand,
  imageInspectCommand,
  imageHistoryCommand,
  imageTagCommand,
  imagePruneCommand,
  imageLoginCommand,
  imageLogoutCommand,
  ...imageArchiveCommands,
  buildBaseCommand,
  buildCommand,
];

/** `berth image <sub>`: the image verbs, each with its own flags and help. */
export const imageCommand: Command = {
  name: 'image',
  summary:
    'Manage images: pull, push, ls, rm, inspect, history, tag, prune, login, logout, save, load, import, build-base, build',
  usage: 'image <subcommand> [options] [args]',
  description: `Subcommands:\n${SUBCOMMANDS.map((c) => `  ${c.name.padEnd(11)}${c.summary}`).join('\n')}`,
  subcommands: SUBCOMMANDS,
  run() {
    throw new Error('image: a group command runs through its subcommands');
  },
};

/** Docker's short forms: `berth pull`, `berth images`, `berth rmi`, … */
export const imageShortCommands: Command[] = [
  imagePullCommand,
  imagePushCommand,
  { ...imageListCommand, name: 'images', aliases: [] },
  { ...imageRemoveCommand, name: 'rmi', aliases: [] },
  imageHistoryCommand,
  imageTagCommand,
  imageLoginCommand,
  imageLogoutCommand,
  ...imageArchiveCommands,
  buildBaseCommand,
];
