import { readFileSync } from 'node:fs';
import { updateContainer } from '../../container/update.ts';
import type { LinuxResources } from '../../spec/index.ts';
import { type FlagSpec, parseVerbArgs, requireId, usage } from '../args.ts';
import type { Verb } from '../verb.ts';

// runc's single-value flags: name → where the value goes and how it is read.
const VALUE_FLAGS: Record<
  string,
  { section: 'memory' | 'cpu' | 'pids' | 'blockIO'; field: string; kind: Kind }
> = {
  memory: { section: 'memory', field: 'limit', kind: 'bytes' },
  'memory-swap': { section: 'memory', field: 'swap', kind: 'bytes' },
  'memory-reservation': { section: 'memory', field: 'reservation', kind: 'bytes' },
  'kernel-memory': { section: 'memory', field: 'kernel', kind: 'bytes' },
  'kernel-memory-tcp': { section: 'memory', field: 'kernelTCP', kind: 'bytes' },
  'cpu-share': { section: 'cpu', field: 'shares', kind: 'int' },
  'cpu-shares': { section: 'cpu', field: 'shares', kind: 'int' },
  'cpu-quota': { section: 'cpu', field: 'quota', kind: 'int' },
  'cpu-period': { section: 'cpu', field: 'period', kind: 'int' },
  'cpu-rt-period': { section: 'cpu', field: 'realtimePeriod', kind: 'int' },
  'cpu-rt-runtime': { section: 'cpu', field: 'realtimeRuntime', kind: 'int' },
  'cpu-burst': { section: 'cpu', field: 'burst', kind: 'int' },
  'cpuset-cpus': { section: 'cpu', field: 'cpus', kind: 'string' },
  'cpuset-mems': { section: 'cpu', field: 'mems', kind: 'string' },
  'pids-limit': { section: 'pids', field: 'limit', kind: 'int' },
  'blkio-weight': { section: 'blockIO', field: 'weight', kind: 'int' },
};
type Kind = 'bytes' | 'int' | 'string';

const FLAGS: FlagSpec = {
  resources: { type: 'string', short: 'r' },
  ...Object.fromEntries(Object.keys(VALUE_FLAGS).map((name) => [name, { type: 'string' as const }])),
};

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A size as runc reads it: bytes, or a number with k/m/g/t (binary, optional `b`/`ib`); -1 is unlimited. */
export function parseBytes(flag: string, text: string): number {
  if (text.trim() === '-1') return -1;
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (match) return Math.floor(Number(match[1]) * (UNITS[match[2]!.toLowerCase()] ?? 1));
  throw usage('update', `--${flag}: '${text}' is not a size (e.g. 512m, 2g, or bytes)`);
}

function parseValue(flag: string, kind: Kind, text: string): number | string {
  if (kind === 'string') return text;
  if (kind === 'bytes') return parseBytes(flag, text);
  if (!/^-?\d+$/.test(text.trim())) throw usage('update', `--${flag}: '${text}' is not an integer`);
  return Number(text);
}

function readResources(source: string): LinuxResources {
  const text = readFileSync(source === '-' ? 0 : source, 'utf8');
  try {
    return JSON.parse(text) as LinuxResources;
  } catch (err) {
    throw usage('update', `--resources ${source}: not valid JSON: ${(err as Error).message}`);
  }
}

/** The resources an `update` asks for: the --resources document, then the single-value flags over it. */
export function resourcesFromFlags(values: Record<string, unknown>): LinuxResources {
  const resources: Record<string, Record<string, unknown>> = values.resources
    ? (readResources(values.resources as string) as never)
    : {};
  for (const [flag, target] of Object.entries(VALUE_FLAGS)) {
    const text = values[flag];
    if (typeof text !== 'string') continue;
    resources[target.section] ??= {};
    resources[target.section]![target.field] = parseValue(flag, target.kind, text);
  }
  return resources as LinuxResources;
}

export const verb: Verb = {
  usage:
    'update [--resources FILE|-] [--memory N] [--memory-swap N] [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L] [--cpuset-mems L] [--pids-limit N] [--blkio-weight N] ID',
  summary: "Change a running container's cgroup limits.",
  async run(ctx) {
    const { values, positionals } = parseVerbArgs('update', ctx.argv, FLAGS);
    const id = requireId('update', positionals);
    await updateContainer(ctx.store, id, resourcesFromFlags(values), ctx.warn);
    return 0;
  },
};
