import type { Command } from '../command.ts';
import { buildCommand } from './build.ts';
import { doctorCommand } from './doctor.ts';
import { imageCommand, imageShortCommands } from './image.ts';
import { imageArchiveCommands } from './image-archive.ts';
import { buildBaseCommand } from './image-base.ts';
import { runtimeCommand } from './runtime.ts';
import { versionCommand } from './version.ts';

/** Every `berth` verb, in the order `berth --help` lists them. */
export const commands: Command[] = [
  versionCommand,
  doctorCommand,
  imageCommand,
  ...imageShortCommands,
  ...imageArchiveCommands,
  buildBaseCommand,
  buildCommand,
  runtimeCommand,
];
