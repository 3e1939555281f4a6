// Flags and settings the image commands share, without the image module: `berth pull` through
// berthd reads them without loading the image store or the registry client.
import { resolve } from 'node:path';
import { BerthError, defaultPaths } from '../../core/index.ts';
// The file, not registry/index.ts: the part's index would load the registry client.
import { defaultAuthFile } from '../../image/registry/stored-credentials.ts';
import type { CommandContext } from '../command.ts';

/** Options every image command shares. */
export const STORE_OPTIONS = {
  'state-dir': { type: 'string' },
} as const;

export const REGISTRY_OPTIONS = {
  'insecure-registry': { type: 'string', multiple: true },
  timeout: { type: 'string' },
} as const;

export const STORE_HELP: Record<string, string> = {
  'state-dir': 'Berth state directory (default /var/lib/berth, or BERTH_STATE_DIR)',
  'insecure-registry': 'allow plain http to this registry (repeatable; env BERTH_INSECURE_REGISTRIES)',
  timeout: 'seconds a registry connection may stall (default 30)',
};

/** How to reach registries: the insecure list (flags, then BERTH_INSECURE_REGISTRIES) and the stall timeout. */
export interface RegistrySettings {
  insecureRegistries: string[];
  timeoutMs?: number;
}

export function registrySettings(ctx: CommandContext, env: NodeJS.ProcessEnv = ctx.io.env): RegistrySettings {
  const flags = ctx.values['insecure-registry'];
  const fromEnv = (env.BERTH_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim());
  const out: RegistrySettings = {
    insecureRegistries: [...(Array.isArray(flags) ? flags.map(String) : []), ...fromEnv].filter(Boolean),
  };
  const timeout = stringValue(ctx, 'timeout');
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!(seconds > 0)) throw usage(`--timeout '${timeout}' is not a positive number of seconds`);
    out.timeoutMs = seconds * 1000;
  }
  return out;
}

/**
 * The state directory a command works on: --state-dir, else BERTH_STATE_DIR, else /var/lib/berth;
 * absolute, a relative one taken from the caller's directory.
 */
export function stateDirOf(ctx: CommandContext, env: NodeJS.ProcessEnv = ctx.io.env): string {
  return resolve(ctx.io.cwd, stringValue(ctx, 'state-dir') ?? defaultPaths(env).stateDir);
}

/** The file `berth login` keeps credentials in, for the caller's environment and directory. */
export function authFileOf(ctx: CommandContext, env: NodeJS.ProcessEnv = ctx.io.env): string {
  return resolve(ctx.io.cwd, defaultAuthFile(env));
}

export function stringValue(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** The one positional argument a command needs, or a usage error naming it. */
export function requirePositional(ctx: CommandContext, index: number, what: string, command: string): string {
  const value = ctx.positionals[index];
  if (value === undefined) throw usage(`${command}: missing ${what}`, command);
  return value;
}

export function usage(message: string, command?: string): BerthError {
  return new BerthError({
    code: 'ERR_CLI_USAGE',
    category: 'InvalidArgument',
    message,
    hint: `run 'berth ${command ?? 'image'} --help' for usage`,
  });
}
