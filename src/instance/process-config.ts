// What a container runs, from the image config and the caller's overrides, by Docker's rules:
// --entrypoint replaces the image's Entrypoint and drops its Cmd; a command replaces Cmd; -e
// replaces a variable of the same name; -w and -u replace WorkingDir and User.
import { BerthError } from '../core/index.ts';

/** The parts of an image config a container's process comes from. */
export interface ImageProcessDefaults {
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  user: string;
}

/** What the caller asked for (`berth run` flags and arguments). */
export interface ProcessOverrides {
  /** COMMAND [ARG...] after the image; empty for the image's Cmd. */
  command?: string[];
  /** `--entrypoint`: one program; `''` clears the image's Entrypoint. */
  entrypoint?: string;
  /** `-e KEY=VAL`, or `-e KEY` to pass the caller's value (left out when the caller has none). */
  env?: string[];
  workdir?: string;
  user?: string;
}

/** The process before the user is resolved in the root filesystem. */
export interface ProcessConfig {
  args: string[];
  env: string[];
  cwd: string;
  /** `user[:group]`, names or numbers; `''` is root. */
  user: string;
}

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Merges the image's defaults with the caller's overrides (Docker's rules). */
export function mergeProcessConfig(
  image: ImageProcessDefaults,
  overrides: ProcessOverrides,
  callerEnv: NodeJS.ProcessEnv = process.env,
): ProcessConfig {
  const entrypoint =
    overrides.entrypoint === undefined
      ? image.entrypoint
      : overrides.entrypoint === ''
        ? []
        : [overrides.entrypoint];
  const command = overrides.command ?? [];
  // A new entrypoint makes the image's Cmd meaningless (it was written for the old one).
  const cmd = command.length > 0 ? command : overrides.entrypoint === undefined ? image.cmd : [];
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) {
    throw new BerthError({
      code: 'ERR_INSTANCE_NO_COMMAND',
      category: 'InvalidArgument',
      message: 'no command specified: the image has no Entrypoint or Cmd and none was given',
      hint: "give a command after the image name, e.g. 'berth run IMAGE sh'",
    });
  }
  return {
    args,
    env: mergeEnv(image.env, overrides.env ?? [], callerEnv),
    cwd: overrides.workdir ?? (image.workingDir || '/'),
    user: overrides.user ?? image.user,
  };
}

/** The image's env with the caller's `KEY=VAL`/`KEY` entries replacing or adding, order kept. */
export function mergeEnv(image: string[], given: string[], callerEnv: NodeJS.ProcessEnv): string[] {
  const vars = new Map<string, string>();
  for (const entry of image) vars.set(envName(entry), entry);
  for (const entry of given) {
    const name = envName(entry);
    if (name === '') {
      throw new BerthError({
        code: 'ERR_INSTANCE_INVALID_ENV',
        category: 'InvalidArgument',
        message: `environment variable '${entry}' has no name`,
        hint: 'use -e KEY=VALUE, or -e KEY to pass the value of KEY from your environment',
      });
    }
    if (entry.includes('=')) vars.set(name, entry);
    else if (callerEnv[name] !== undefined) vars.set(name, `${name}=${callerEnv[name]}`);
  }
  return [...vars.values()];
}

/** The env a container gets: PATH when none is set, HOSTNAME, and HOME from its passwd entry. */
export function containerEnv(env: string[], o: { hostname: string; home?: string }): string[] {
  const names = new Set(env.map(envName));
  const out = names.has('PATH') ? [...env] : [DEFAULT_PATH, ...env];
  if (!names.has('HOSTNAME')) out.push(`HOSTNAME=${o.hostname}`);
  if (!names.has('HOME')) out.push(`HOME=${o.home || '/'}`);
  return out;
}

function envName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq === -1 ? entry : entry.slice(0, eq);
}
