// `--change` instructions for import, in Dockerfile syntax: ENV, CMD, ENTRYPOINT, WORKDIR, USER,
// LABEL, EXPOSE. Exec form (JSON array) or shell form (run by /bin/sh -c), as Docker does.
import { BerthError } from '../../core/index.ts';
import type { ConfigFields } from '../manifest/index.ts';

/** Applies `changes` (each one instruction) on top of `base`; unknown instructions are an error. */
export function applyChanges(base: ConfigFields, changes: readonly string[]): ConfigFields {
  const out: ConfigFields = { ...base, Env: [...(base.Env ?? [])] };
  for (const change of changes) {
    const match = /^\s*([A-Za-z]+)\s+([\s\S]*\S)\s*$/.exec(change);
    if (!match) throw invalidChange(change, 'expected an instruction and its argument');
    const [, word, arg] = match as unknown as [string, string, string];
    const instruction = word.toUpperCase();
    if (instruction === 'ENV') out.Env = setEnv(out.Env ?? [], arg, change);
    else if (instruction === 'CMD') out.Cmd = commandForm(arg, change);
    else if (instruction === 'ENTRYPOINT') out.Entrypoint = commandForm(arg, change);
    else if (instruction === 'WORKDIR') out.WorkingDir = arg;
    else if (instruction === 'USER') out.User = arg;
    else if (instruction === 'LABEL') out.Labels = { ...out.Labels, ...pairs(arg, change) };
    else if (instruction === 'EXPOSE') out.ExposedPorts = { ...out.ExposedPorts, ...ports(arg) };
    else
      throw invalidChange(
        change,
        `'${word}' is not one of ENV, CMD, ENTRYPOINT, WORKDIR, USER, LABEL, EXPOSE`,
      );
  }
  return out;
}

function setEnv(env: string[], arg: string, change: string): string[] {
  // `ENV KEY value` (legacy single pair) or `ENV K1=v1 K2=v2`.
  const entries = arg.includes('=') ? Object.entries(pairs(arg, change)) : [splitOnce(arg)];
  let out = env;
  for (const [key, value] of entries)
    out = [...out.filter((e) => !e.startsWith(`${key}=`)), `${key}=${value}`];
  return out;
}

function splitOnce(arg: string): [string, string] {
  const space = arg.search(/\s/);
  return space === -1 ? [arg, ''] : [arg.slice(0, space), arg.slice(space).trim()];
}

function commandForm(arg: string, change: string): string[] {
  if (!arg.startsWith('[')) return ['/bin/sh', '-c', arg];
  let parsed: unknown;
  try {
    parsed = JSON.parse(arg);
  } catch {
    throw invalidChange(change, 'the exec form must be a JSON array of strings');
  }
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) {
    throw invalidChange(change, 'the exec form must be a JSON array of strings');
  }
  return parsed;
}

/** `a=1 b="two words"` → {a: '1', b: 'two words'}. */
function pairs(arg: string, change: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pattern = /([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  let consumed = '';
  for (const match of arg.matchAll(pattern)) {
    const [all, key, raw] = match as unknown as [string, string, string];
    out[key] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    consumed += all;
  }
  if (consumed.length !== arg.replace(/\s+/g, '').length && Object.keys(out).length === 0) {
    throw invalidChange(change, 'expected KEY=VALUE pairs');
  }
  return out;
}

function ports(arg: string): Record<string, Record<string, never>> {
  const out: Record<string, Record<string, never>> = {};
  for (const port of arg.split(/\s+/)) out[port.includes('/') ? port : `${port}/tcp`] = {};
  return out;
}

function invalidChange(change: string, why: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_CHANGE_INVALID',
    category: 'InvalidArgument',
    message: `invalid --change '${change}': ${why}`,
    hint: "e.g. --change 'ENV PATH=/usr/bin:/bin' --change 'CMD [\"sh\"]'",
  });
}
