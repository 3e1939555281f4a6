import { type ParseArgsConfig, parseArgs } from 'node:util';
import { BerthError } from '../../core/index.ts';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedVerbArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** runc (urfave/cli) also accepts long flags with one dash (`-root`): rewrite them to two. */
export function normalizeFlags(argv: readonly string[], flags: FlagSpec): string[] {
  return argv.map((arg) => {
    if (!/^-[a-z][a-z-]+(=.*)?$/.test(arg)) return arg;
    const name = arg.slice(1).split('=')[0] ?? '';
    return Object.hasOwn(flags, name) ? `-${arg}` : arg;
  });
}

/** Parses one verb's flags; with `stopAt`, everything from that positional on is left unparsed (a command). */
export function parseVerbArgs(
  verb: string,
  argv: readonly string[],
  flags: FlagSpec,
  stopAt?: number,
): ParsedVerbArgs {
  const args = normalizeFlags(argv, flags);
  if (stopAt !== undefined) return parseUntilCommand(verb, args, flags, stopAt);
  try {
    const parsed = parseArgs({ args, options: flags, allowPositionals: true, strict: true });
    return { values: parsed.values as ParsedVerbArgs['values'], positionals: parsed.positionals };
  } catch (err) {
    throw usage(verb, (err as Error).message);
  }
}

/** For `exec ID CMD ARGS…`: flags end at the positional number `stopAt` (the command). */
function parseUntilCommand(verb: string, args: string[], flags: FlagSpec, stopAt: number): ParsedVerbArgs {
  const head: string[] = [];
  let positionals = 0;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (positionals === stopAt) break;
      positionals++;
      head.push(arg);
      continue;
    }
    head.push(arg);
    const name = arg.replace(/^--?/, '').split('=')[0] ?? '';
    const spec = flags[name] ?? Object.values(flags).find((f) => f.short === name);
    if (spec?.type === 'string' && !arg.includes('=')) head.push(args[++i] ?? '');
  }
  try {
    const parsed = parseArgs({ args: head, options: flags, allowPositionals: true, strict: true });
    return {
      values: parsed.values as ParsedVerbArgs['values'],
      positionals: [...parsed.positionals, ...args.slice(i)],
    };
  } catch (err) {
    throw usage(verb, (err as Error).message);
  }
}

export function usage(verb: string, message: string): BerthError {
  return new BerthError({
    code: 'ERR_CLI_USAGE',
    category: 'InvalidArgument',
    message: `${verb}: ${message.replace(/^./, (c) => c.toLowerCase())}`,
    hint: `run 'berth-runtime ${verb} --help' for usage`,
  });
}

/** The container id positional, which every verb but list/features/spec requires. */
export function requireId(verb: string, positionals: readonly string[], max = 1): string {
  const [id] = positionals;
  if (!id) throw usage(verb, 'requires a container id');
  if (positionals.length > max) throw usage(verb, `unexpected argument '${positionals[max]}'`);
  return id;
}
