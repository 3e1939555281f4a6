import { resolve } from 'node:path';
import { asBerthError, BerthError } from '../../core/index.ts';
import { StateStore } from '../state/store.ts';
import { normalizeFlags } from './args.ts';
import { writeLog } from './log.ts';
import type { GlobalOptions, RuntimeIo, Verb } from './verb.ts';

const VERSION = '0.1.0';
const SPEC_VERSION = '1.2.0';

// Each verb's module is imported only when that verb runs: Node start time is most of `run`.
const VERBS: Record<string, () => Promise<{ verb: Verb }>> = {
  create: () => import('./verbs/create.ts'),
  start: () => import('./verbs/start.ts'),
  run: () => import('./verbs/run.ts'),
  state: () => import('./verbs/state.ts'),
  kill: () => import('./verbs/kill.ts'),
  delete: () => import('./verbs/delete.ts'),
  list: () => import('./verbs/list.ts'),
  ps: () => import('./verbs/ps.ts'),
  exec: () => import('./verbs/exec.ts'),
  features: () => import('./verbs/features.ts'),
  spec: () => import('./verbs/spec.ts'),
  pause: () => import('./verbs/pause.ts'),
  resume: () => import('./verbs/resume.ts'),
  update: () => import('./verbs/update.ts'),
  events: () => import('./verbs/events.ts'),
};

const GLOBAL_FLAGS: Record<string, 'string' | 'boolean'> = {
  root: 'string',
  log: 'string',
  'log-format': 'string',
  debug: 'boolean',
  'systemd-cgroup': 'boolean',
  rootless: 'string',
  criu: 'string',
  help: 'boolean',
  version: 'boolean',
};

/**
 * Whether a call writes output for as long as it runs (`events` without `--stats`). The planner
 * answers a call only when it ends, so it leaves these to the front-end's slow path.
 */
export function streamsOutput(argv: readonly string[]): boolean {
  try {
    const rest = parseGlobal(argv, { root: '', logFormat: 'text', debug: false, systemdCgroup: false });
    if (rest === 'version') return false;
    const [name, ...verbArgs] = rest;
    return name === 'events' && !verbArgs.some((a) => a === '--stats' || a === '-stats');
  } catch {
    return false;
  }
}

/** This process's own environment, directory and stdio: the CLI's default. */
function processIo(): RuntimeIo {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
}

/** Runs `berth-runtime` (runc's command-line contract) and returns the exit code. */
export async function runtimeMain(argv: readonly string[], io: RuntimeIo = processIo()): Promise<number> {
  const global: GlobalOptions = {
    root: io.env.BERTH_RUNTIME_ROOT ?? '/run/berth-runtime',
    logFormat: 'text',
    debug: false,
    systemdCgroup: false,
  };
  try {
    const rest = parseGlobal(argv, global);
    if (rest === 'version') {
      io.stdout(`berth-runtime version ${VERSION}\nspec: ${SPEC_VERSION}\n`);
      return 0;
    }
    global.root = resolve(io.cwd, global.root);
    if (global.log) global.log = resolve(io.cwd, global.log);
    const [name, ...verbArgs] = rest;
    if (rest.length === 0 || name === 'help')
      return printHelp(io, rest.length === 0 && !argv.includes('--help') && !argv.includes('-h'));
    const load = VERBS[name ?? ''];
    if (!load) throw usageError(`unknown command '${name}'`);
    const { verb } = await load();
    if (verbArgs.includes('--help') || verbArgs.includes('-h')) {
      io.stdout(`Usage: berth-runtime ${verb.usage}\n\n${verb.summary}\n`);
      return 0;
    }
    return await verb.run({
      global,
      argv: verbArgs,
      store: new StateStore(global.root),
      cwd: io.cwd,
      env: io.env,
      launch: io.launch,
      stdout: io.stdout,
      // As runc: with --log, warnings go only there (a caller's stderr may be the container's).
      warn: (message) => {
        if (global.log) writeLog(global, 'warning', message);
        else io.stderr(`berth-runtime: warning: ${message}\n`);
      },
    });
  } catch (err) {
    return reportError(global, io, err);
  }
}

function parseGlobal(argv: readonly string[], global: GlobalOptions): string[] | 'version' {
  const args = normalizeFlags(argv, GLOBAL_FLAGS as never);
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-')) break;
    if (arg === '-v' || arg === '--version') return 'version';
    if (arg === '-h' || arg === '--help') return [];
    const [flag = '', inline] = arg.replace(/^--/, '').split(/=(.*)/s, 2);
    const type = GLOBAL_FLAGS[flag];
    if (!type) throw usageError(`unknown global option '${arg}'`);
    const value = type === 'boolean' ? (inline ?? 'true') : (inline ?? args[++i]);
    if (value === undefined) throw usageError(`option '--${flag}' needs a value`);
    applyGlobal(global, flag, value);
  }
  return args.slice(i);
}

function applyGlobal(global: GlobalOptions, flag: string, value: string): void {
  if (flag === 'root') global.root = value;
  else if (flag === 'log') global.log = value;
  else if (flag === 'log-format') {
    if (value !== 'text' && value !== 'json')
      throw usageError(`--log-format must be text or json, not '${value}'`);
    global.logFormat = value;
  } else if (flag === 'debug') global.debug = value !== 'false';
  else if (flag === 'systemd-cgroup') global.systemdCgroup = value !== 'false';
}

function printHelp(io: RuntimeIo, asError: boolean): number {
  const text = [
    'Usage: berth-runtime [global options] <command> [options] <container-id>',
    '',
    "Berth's OCI runtime, with runc's command-line contract.",
    '',
    `Commands: ${Object.keys(VERBS).join(', ')}`,
    'Global options: --root DIR (default /run/berth-runtime), --log FILE, --log-format text|json,',
    '  --debug, --systemd-cgroup, --rootless, --version',
    '',
  ].join('\n');
  (asError ? io.stderr : io.stdout)(text);
  return asError ? 1 : 0;
}

function usageError(message: string): BerthError {
  return new BerthError({
    code: 'ERR_CLI_USAGE',
    category: 'InvalidArgument',
    message,
    hint: "run 'berth-runtime --help' for usage",
  });
}

function reportError(global: GlobalOptions, io: RuntimeIo, err: unknown): number {
  const error = asBerthError(err);
  writeLog(global, 'error', error.message);
  const lines = [`berth-runtime: ${error.message}`];
  if (error.hint) lines.push(`hint: ${error.hint}`);
  if (global.debug) lines.push(`code: ${error.code}`, (err as Error)?.stack ?? '');
  io.stderr(`${lines.join('\n')}\n`);
  return 1;
}
