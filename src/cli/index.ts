export type { Command, CommandContext, CommandResult } from './command.ts';
export { main } from './main.ts';
export { formatError, formatErrorJson, formatTable } from './output.ts';
