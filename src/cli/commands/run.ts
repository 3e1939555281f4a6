// `berth run IMAGE [COMMAND...]`: a foreground container from an image, removed when it exits.
// Flags come before IMAGE; everything after it is the container's command (`sh -c '…'` included).
import { parseArgs } from 'node:util';
import { defaultPaths } from '../../core/index.ts';
import { exitStatusForError, type NetworkMode, runContainerOnce } from '../../instance/index.ts';
import { type Command, type CommandContext, GLOBAL_OPTIONS } from '../command.ts';
import type { CliIo } from '../io.ts';
import { formatError, formatErrorJson } from '../output.ts';
import { imageContext, stateDirOf, stringValue, usage } from './image-context.ts';

const OPTIONS = {
  env: { type: 'string', short: 'e', multiple: true },
  workdir: { type: 'string', short: 'w' },
  user: { type: 'string', short: 'u' },
  entrypoint: { type: 'string' },
  network: { type: 'string' },
  hostname: { type: 'string' },
  interactive: { type: 'boolean', short: 'i' },
  pull: { type: 'string' },
  'stop-timeout': { type: 'string' },
  'state-dir': { type: 'string' },
  'insecure-registry': { type: 'string', multiple: true },
  timeout: { type: 'string' },
} as const;

export const runCommand: Command = {
  name: 'run',
  summary: 'Run a command in a new container from an image, in the foreground',
  usage: 'run [OPTIONS] IMAGE [COMMAND [ARG...]]',
  description:
    "The image comes from the store; 'busybox' is built locally on first use; others are pulled.\n" +
    'The container gets its own network namespace with only loopback (--network none) unless\n' +
    "--network host, the image's Env/Entrypoint/Cmd/WorkingDir/User, and the caller's stdout and\n" +
    'stderr (stdin with -i). It is removed when it exits, like `docker run --rm` (until the daemon\n' +
    'lands there are no detached or named containers). No pseudo-terminal: -t is not supported yet.\n' +
    'If `berth run` itself is killed (SIGKILL, OOM, power loss), the next `berth run` removes what it\n' +
    'left, killing its container if that still runs.\n' +
    "Exit status: the command's own, 128+N when killed by signal N, 125 when Berth fails, 126 when\n" +
    'the command cannot be executed, 127 when it is not found.',
  options: OPTIONS,
  optionHelp: {
    env: 'set KEY=VALUE in the container, or pass KEY from your environment (repeatable)',
    workdir: 'working directory inside the container',
    user: 'USER[:GROUP] (names from the image, or numeric ids)',
    entrypoint: "override the image's Entrypoint (drops its Cmd); '' clears it",
    network: "'none' (default: own namespace, loopback only) or 'host'",
    hostname: 'container hostname (default: the short container id)',
    interactive: 'keep stdin open (otherwise the container reads /dev/null)',
    pull: "'missing' (default: pull when not in the store) or 'never'",
    'stop-timeout': 'seconds after SIGINT/SIGTERM before the container is killed (default 10)',
    'state-dir': 'Berth state directory (default /var/lib/berth, or BERTH_STATE_DIR)',
    'insecure-registry': 'allow plain http to this registry (repeatable)',
    timeout: 'seconds a registry connection may stall (default 30)',
  },
  passthrough: true,
  async run(raw) {
    const ctx = parseRunArgs(raw.positionals, raw.io);
    const [image, ...command] = ctx.positionals;
    if (image === undefined) throw usage('run: missing IMAGE', 'run');
    let id = '';
    try {
      const exitCode = await runContainerOnce({
        image,
        command,
        ...processFlags(ctx),
        network: networkMode(ctx),
        hostname: stringValue(ctx, 'hostname'),
        stateDir: stateDirOf(ctx),
        runDir: defaultPaths().runDir,
        source: sourceOptions(ctx),
        stdio: [ctx.values.interactive === true ? 'inherit' : 'ignore', 'inherit', 'inherit'],
        stopTimeoutMs: stopTimeout(ctx),
        onId: (value) => {
          id = value;
        },
        onWarning: (warning) => process.stderr.write(formatError(warning, { debug: ctx.debug })),
      });
      return result(ctx, { id, exitCode });
    } catch (err) {
      process.stderr.write(ctx.json ? formatErrorJson(err) : formatError(err, { debug: ctx.debug }));
      return result(ctx, { id, exitCode: exitStatusForError(err) });
    }
  },
};

/** The container's output is the output; `--json` adds `{id, exitCode}` on stdout at the end. */
function result(ctx: CommandContext, data: { id: string; exitCode: number }) {
  return { data, render: ctx.json ? undefined : () => '', exitCode: data.exitCode };
}

/** Options up to IMAGE; IMAGE and everything after it as positionals. */
export function parseRunArgs(argv: string[], io: CliIo): CommandContext {
  const options = { ...GLOBAL_OPTIONS, ...OPTIONS };
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(OPTIONS)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if ('short' in o) takesValue.add(`-${o.short}`);
  }
  let at = 0;
  while (at < argv.length && argv[at]!.startsWith('-') && argv[at] !== '-') {
    if (argv[at] === '--') break;
    at += takesValue.has(argv[at]!) ? 2 : 1;
  }
  const rest = argv[at] === '--' ? argv.slice(at + 1) : argv.slice(at);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv.slice(0, at), options, allowPositionals: false, strict: true });
  } catch (err) {
    throw usage(`run: ${(err as Error).message.replace(/^./, (c) => c.toLowerCase())}`, 'run');
  }
  const values = parsed.values as CommandContext['values'];
  if (values.help === true) throw usage("run: for help, run 'berth run --help' alone", 'run');
  return { values, positionals: rest, json: values.json === true, debug: values.debug === true, io };
}

function processFlags(ctx: CommandContext) {
  const env = ctx.values.env;
  return {
    env: Array.isArray(env) ? env.map(String) : [],
    workdir: stringValue(ctx, 'workdir'),
    user: stringValue(ctx, 'user'),
    entrypoint: stringValue(ctx, 'entrypoint'),
  };
}

function networkMode(ctx: CommandContext): NetworkMode {
  const value = stringValue(ctx, 'network') ?? 'none';
  if (value === 'none' || value === 'host') return value;
  throw usage(
    `run: --network '${value}' is not supported (use 'none' or 'host'; bridges come with the daemon)`,
    'run',
  );
}

function sourceOptions(ctx: CommandContext) {
  const pull = stringValue(ctx, 'pull') ?? 'missing';
  if (pull !== 'missing' && pull !== 'never')
    throw usage(`run: --pull '${pull}' must be 'missing' or 'never'`, 'run');
  const registry = imageContext(ctx);
  return {
    pull,
    credentials: registry.credentials,
    insecureRegistries: registry.insecureRegistries,
    timeoutMs: registry.timeoutMs,
    onLine: (line: string) => process.stderr.write(`${line}\n`),
  } as const;
}

function stopTimeout(ctx: CommandContext): number | undefined {
  const value = stringValue(ctx, 'stop-timeout');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!(seconds >= 0)) throw usage(`run: --stop-timeout '${value}' is not a number of seconds`, 'run');
  return seconds * 1000;
}
