import type { Command } from '../command.ts';
import { imageCommand, imageShortCommands } from './image.ts';
import { versionCommand } from './version.ts';

/** Every `berth` verb, in the order `berth --help` lists them. */
export const commands: Command[] = [versionCommand, imageCommand, ...imageShortCommands];
