import { type ParseArgsConfig, parseArgs } from 'node:util';
import { BerthError } from '../core/index.ts';
import type { CliIo } from './io.ts';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What a command hands back: data, and how to show it to a person. `--json` prints `data` instead. */
export interface CommandResult<T = unknown> {
  data: T;
  render?(data: T): string;
  exitCode?: number;
}

export interface CommandContext {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  json: boolean;
  debug: boolean;
  /** The caller's environment, directory and output: use these, never `process`'s. */
  io: CliIo;
}

/** One `berth` verb: its flags, its help, and a `run` that returns data rather than printing. */
export interface Command {
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  description?: string;
  options?: OptionsConfig;
  /** Help text for each option, by option name. */
  optionHelp?: Record<string, string>;
  /** Verbs under this one (`berth image pull`): the first argument picks one, which parses the rest. */
  subcommands?: Command[];
  /** Hand every argument to `run` unparsed, as positionals (`berth runtime` speaks runc's flags). */
  passthrough?: boolean;
  /**
   * The resident CLI host may run it (docs/design/cli-host.md): it reads env, cwd and terminal
   * only from `ctx.io`, writes only there, and stops when `ctx.io.signal` aborts.
   */
  hosted?: boolean;
  run(ctx: CommandContext): Promise<CommandResult>;
}

/** What `berth --help` lists; the command's module is loaded only when it runs. */
export interface CommandEntry {
  name: string;
  aliases?: string[];
  summary: string;
  load(): Promise<Command>;
  /** Verbs of this group that load without the group's module (`berth image pull` through berthd). */
  subcommands?: Record<string, () => Promise<Command>>;
}

export const GLOBAL_OPTIONS: OptionsConfig = {
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Parses argv for `command`; unknown flags are a usage error that names the flag. */
export function parseCommandArgs(
  command: Command,
  argv: string[],
  io: CliIo,
): CommandContext & { help: boolean } {
  if (command.passthrough) {
    const args = argv[0] === '--' ? argv.slice(1) : argv;
    const help = args.length === 1 && (args[0] === '--help' || args[0] === '-h');
    return { values: {}, positionals: args, json: false, debug: false, help, io };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new BerthError({
      code: 'ERR_CLI_USAGE',
      category: 'InvalidArgument',
      message: `${command.name}: ${(err as Error).message.replace(/^./, (c) => c.toLowerCase())}`,
      hint: `run 'berth ${command.name} --help' for usage`,
    });
  }
  const values = parsed.values as CommandContext['values'];
  return {
    values,
    positionals: parsed.positionals,
    json: values.json === true,
    debug: values.debug === true,
    help: values.help === true,
    io,
  };
}

/** Renders `berth <command> --help`. */
export function formatCommandHelp(command: Command): string {
  const lines = [`Usage: berth ${command.usage}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  // A passthrough command hands --json and --debug on unparsed: only --help is Berth's.
  const options = Object.entries({ ...command.options, ...GLOBAL_OPTIONS }).filter(
    ([name]) => !command.passthrough || name === 'help',
  );
  const rows = options.map(([name, config]) => {
    const short = config.short ? `-${config.short}, ` : '    ';
    const arg = config.type === 'string' ? ` <${name}>` : '';
    return { flag: `  ${short}--${name}${arg}`, help: command.optionHelp?.[name] ?? GLOBAL_HELP[name] ?? '' };
  });
  // One help column for the whole command, two spaces past its longest flag.
  const width = Math.max(...rows.map((r) => r.flag.length)) + HELP_GAP;
  lines.push('', 'Options:', ...rows.map((r) => (r.help ? r.flag.padEnd(width) + r.help : r.flag)));
  return `${lines.join('\n')}\n`;
}

const HELP_GAP = 2;

const GLOBAL_HELP: Record<string, string> = {
  json: 'print machine-readable JSON',
  debug: 'show debug output and stack traces',
  help: 'show this help',
};
