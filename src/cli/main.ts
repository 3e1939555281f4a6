import { asBerthError, BerthError } from '../core/index.ts';
import { type Command, type CommandEntry, formatCommandHelp, parseCommandArgs } from './command.ts';
import { commandEntries } from './commands/index.ts';
import { type CliIo, processIo } from './io.ts';
import { formatError, formatErrorJson } from './output.ts';

/** Runs the CLI for `args` (without node and script) and returns the process exit code. */
export async function main(args: string[], io: CliIo = processIo()): Promise<number> {
  const debug = args.includes('--debug');
  const json = args.includes('--json');
  try {
    const call = await resolveCall(args);
    if (call === undefined) {
      io.stdout.write(formatMainHelp());
      return args.length === 0 || args.includes('--help') || args.includes('-h') ? 0 : 2;
    }
    return await runCommand(call.command, call.rest, io);
  } catch (err) {
    io.stderr.write(json ? formatErrorJson(err) : formatError(err, { debug }));
    return asBerthError(err).code === 'ERR_CLI_USAGE' ? 2 : 1;
  }
}

/**
 * Whether the resident CLI host may run `args`: they name a command marked `hosted` (one that
 * takes its environment, directory and output from `ctx.io`). Anything else, usage errors
 * included, runs in a process of its own.
 */
export async function runsHosted(args: string[]): Promise<boolean> {
  try {
    return (await resolveCall(args))?.command.hosted === true;
  } catch {
    return false;
  }
}

/** The command `args` name (down to the verb of a group) and the arguments left for it. */
async function resolveCall(args: string[]): Promise<{ command: Command; rest: string[] } | undefined> {
  const argv = args.includes('--version') && !args.some(isWord) ? ['version', ...args] : args;
  const first = argv.findIndex(isWord);
  if (first === -1) return undefined;
  const entry = findEntry(argv[first] ?? '');
  const rest = [...argv.slice(0, first), ...argv.slice(first + 1)];
  const at = rest.findIndex(isWord);
  const light = at === -1 ? undefined : entry.subcommands?.[rest[at] ?? ''];
  if (light) return { command: await light(), rest: [...rest.slice(0, at), ...rest.slice(at + 1)] };
  return subcommandOf(await entry.load(), rest);
}

/** `berth image pull …`: the first word after a group picks the verb, which parses the rest. */
function subcommandOf(command: Command, rest: string[]): { command: Command; rest: string[] } {
  if (!command.subcommands || command.passthrough) return { command, rest };
  const at = rest.findIndex(isWord);
  const name = at === -1 ? undefined : rest[at];
  const sub = command.subcommands.find((c) => c.name === name || c.aliases?.includes(name ?? ''));
  if (sub) return subcommandOf(sub, [...rest.slice(0, at), ...rest.slice(at + 1)]);
  if (name === undefined && (rest.includes('--help') || rest.includes('-h'))) return { command, rest };
  throw usageError(
    name === undefined
      ? `${command.name}: missing subcommand`
      : `${command.name}: unknown subcommand '${name}'`,
    `run 'berth ${command.name} --help' for its subcommands`,
  );
}

async function runCommand(command: Command, rest: string[], io: CliIo): Promise<number> {
  if (command.subcommands && !command.passthrough) {
    io.stdout.write(formatCommandHelp(command));
    return 0;
  }
  const ctx = parseCommandArgs(
    command,
    rest.filter((a) => a !== '--version' || command.name !== 'version'),
    io,
  );
  if (ctx.help) {
    io.stdout.write(formatCommandHelp(command));
    return 0;
  }
  const result = await command.run(ctx);
  if (ctx.json || !result.render) io.stdout.write(`${JSON.stringify(result.data, null, 2)}\n`);
  else io.stdout.write(result.render(result.data));
  return result.exitCode ?? 0;
}

function isWord(arg: string): boolean {
  return !arg.startsWith('-');
}

function findEntry(name: string): CommandEntry {
  const entry = commandEntries.find((c) => c.name === name || c.aliases?.includes(name));
  if (entry) return entry;
  throw usageError(`unknown command '${name}'`, "run 'berth --help' for the list of commands");
}

function usageError(message: string, hint: string): BerthError {
  return new BerthError({ code: 'ERR_CLI_USAGE', category: 'InvalidArgument', message, hint });
}

function formatMainHelp(): string {
  const rows = commandEntries.map((c) => `  ${c.name.padEnd(12)}${c.summary}`);
  return [
    'Usage: berth [--debug] [--json] <command> [options]',
    '',
    'Run OCI images as containers or virtual machines.',
    '',
    'Commands:',
    ...rows,
    '',
    "Run 'berth <command> --help' for a command's options.",
    '',
  ].join('\n');
}
