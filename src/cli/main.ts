import { asBerthError, BerthError } from '../core/index.ts';
import { type Command, type CommandEntry, formatCommandHelp, parseCommandArgs } from './command.ts';
import { commandEntries } from './commands/index.ts';
import { formatError, formatErrorJson } from './output.ts';

/** Runs the CLI for `args` (without node and script) and returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const debug = args.includes('--debug');
  const json = args.includes('--json');
  try {
    const argv = args.includes('--version') && !args.some(isWord) ? ['version', ...args] : args;
    const first = argv.findIndex(isWord);
    if (first === -1) {
      print(formatMainHelp());
      return argv.length === 0 || argv.includes('--help') || argv.includes('-h') ? 0 : 2;
    }
    const entry = findEntry(argv[first] ?? '');
    const rest = [...argv.slice(0, first), ...argv.slice(first + 1)];
    const at = rest.findIndex(isWord);
    const light = at === -1 ? undefined : entry.subcommands?.[rest[at] ?? ''];
    if (light) return await runCommand(await light(), [...rest.slice(0, at), ...rest.slice(at + 1)]);
    return await runCommand(await entry.load(), rest);
  } catch (err) {
    process.stderr.write(json ? formatErrorJson(err) : formatError(err, { debug }));
    return asBerthError(err).code === 'ERR_CLI_USAGE' ? 2 : 1;
  }
}

async function runCommand(command: Command, rest: string[]): Promise<number> {
  if (command.subcommands && !command.passthrough) return runSubcommand(command, rest);
  const ctx = parseCommandArgs(
    command,
    rest.filter((a) => a !== '--version' || command.name !== 'version'),
  );
  if (ctx.help) return print(formatCommandHelp(command));
  const result = await command.run(ctx);
  if (ctx.json || !result.render) print(`${JSON.stringify(result.data, null, 2)}\n`);
  else print(result.render(result.data));
  return result.exitCode ?? 0;
}

/** `berth image pull …`: the first word after the group picks the verb, which parses the rest. */
function runSubcommand(group: Command, rest: string[]): Promise<number> {
  const at = rest.findIndex(isWord);
  const name = at === -1 ? undefined : rest[at];
  const sub = group.subcommands?.find((c) => c.name === name || c.aliases?.includes(name ?? ''));
  if (sub) return runCommand(sub, [...rest.slice(0, at), ...rest.slice(at + 1)]);
  if (name === undefined && (rest.includes('--help') || rest.includes('-h'))) {
    return Promise.resolve(print(formatCommandHelp(group)));
  }
  throw usageError(
    name === undefined ? `${group.name}: missing subcommand` : `${group.name}: unknown subcommand '${name}'`,
    `run 'berth ${group.name} --help' for its subcommands`,
  );
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

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}
