// What a stage has built so far: layers, image config, history, the cache key chain and the
// ARGs in scope; and how instructions see variables.
import type { ConfigFields } from '../manifest/index.ts';
import type { RawInstruction } from './containerfile/index.ts';
import type { LayerRef } from './rootfs.ts';

export interface HistoryJson {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface StageState {
  index: number;
  name: string | undefined;
  layers: LayerRef[];
  config: ConfigFields;
  /** Other top-level config fields of the base image (author, …) are not carried over. */
  history: HistoryJson[];
  /** Cache key of the last instruction: each step's key chains on it. */
  key: string;
  /** ARGs declared in this stage, with their values. */
  args: Map<string, string | undefined>;
  /** CMD was set in this stage (ENTRYPOINT then keeps it; otherwise it clears an inherited one). */
  cmdSet: boolean;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** `KEY=value` entries as a map (the last one wins). */
export function envMap(env: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) out.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return out;
}

/** Variables an instruction's words see: ENV wins over ARG, as in Docker. */
export function stageLookup(state: StageState): (name: string) => string | undefined {
  const env = envMap(state.config.Env);
  return (name) => env.get(name) ?? state.args.get(name);
}

/** The environment of a RUN step: the image's ENV plus the stage's ARG values ENV does not set. */
export function runEnv(state: StageState): string[] {
  const env = [...(state.config.Env ?? [])];
  const set = envMap(env);
  for (const [name, value] of state.args)
    if (value !== undefined && !set.has(name)) env.push(`${name}=${value}`);
  return env;
}

/** Sets (or replaces) variables in an Env list, keeping its order. */
export function setEnv(env: readonly string[] | undefined, pairs: [string, string][]): string[] {
  let out = [...(env ?? [])];
  for (const [key, value] of pairs) {
    const index = out.findIndex((e) => e.startsWith(`${key}=`));
    if (index === -1) out = [...out, `${key}=${value}`];
    else out[index] = `${key}=${value}`;
  }
  return out;
}

/** A history entry for an instruction. */
export function historyOf(ins: RawInstruction, created: string, emptyLayer: boolean): HistoryJson {
  const entry: HistoryJson = { created, created_by: ins.original, comment: 'berth build' };
  if (emptyLayer) entry.empty_layer = true;
  return entry;
}
