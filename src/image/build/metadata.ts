// Instructions that change only the image config: ENV, ARG, LABEL, WORKDIR, USER, EXPOSE,
// ENTRYPOINT, CMD, SHELL, VOLUME, STOPSIGNAL, MAINTAINER. Each returns the resolved value that
// goes into the cache key.
import { posix } from 'node:path';
import {
  type Escape,
  expandWord,
  expandWords,
  parsePairs,
  type RawInstruction,
} from './containerfile/index.ts';
import { syntaxError } from './errors.ts';
import { DEFAULT_SHELL, type StageState, setEnv, stageLookup } from './state.ts';

export interface MetadataContext {
  file: string;
  escape: Escape;
  buildArgs: Record<string, string>;
  /** Values of the ARGs declared before the first FROM. */
  globalArgs: Map<string, string | undefined>;
}

const EXPOSE = /^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/i;

/** Applies a metadata instruction to the stage; returns what it resolved to. */
export function applyMetadata(ctx: MetadataContext, state: StageState, ins: RawInstruction): unknown {
  const lookup = stageLookup(state);
  const word = (text: string) => expandWord(text, lookup, ctx.escape);
  const c = state.config;
  switch (ins.keyword) {
    case 'ENV': {
      const pairs = parsePairs(ins.text, { lookup, esc: ctx.escape, legacy: true, valueRequired: true });
      c.Env = setEnv(c.Env, pairs as [string, string][]);
      return pairs;
    }
    case 'ARG':
      return declareArgs(ctx, state, ins);
    case 'LABEL': {
      const pairs = parsePairs(ins.text, { lookup, esc: ctx.escape, legacy: true, valueRequired: true });
      c.Labels = { ...c.Labels, ...Object.fromEntries(pairs as [string, string][]) };
      return pairs;
    }
    case 'WORKDIR': {
      const dir = word(ins.text);
      c.WorkingDir = posix.normalize(posix.join(c.WorkingDir || '/', dir)).replace(/(.)\/$/, '$1');
      return c.WorkingDir;
    }
    case 'USER':
      c.User = word(ins.text);
      return c.User;
    case 'EXPOSE':
      return expose(ctx, state, ins);
    case 'ENTRYPOINT':
      c.Entrypoint = commandForm(state, ins);
      if (!state.cmdSet) delete c.Cmd;
      return c.Entrypoint;
    case 'CMD':
      c.Cmd = commandForm(state, ins);
      state.cmdSet = true;
      return c.Cmd;
    case 'SHELL':
      if (!ins.json || ins.json.length === 0) {
        throw syntaxError(
          { file: ctx.file, line: ins.line },
          'SHELL requires the JSON form, e.g. SHELL ["/bin/bash", "-c"]',
        );
      }
      c.Shell = ins.json;
      return c.Shell;
    case 'VOLUME': {
      const paths = ins.json ?? expandWords(ins.text, lookup, ctx.escape);
      c.Volumes = { ...c.Volumes, ...Object.fromEntries(paths.map((p) => [p, {}])) };
      return paths;
    }
    case 'STOPSIGNAL':
      c.StopSignal = word(ins.text);
      return c.StopSignal;
    case 'MAINTAINER':
      return ins.text;
    default:
      throw new Error(`${ins.keyword} is not a metadata instruction`);
  }
}

/** The exec form as given, or the shell form run by the stage's SHELL. */
export function commandForm(state: StageState, ins: RawInstruction): string[] {
  return ins.json ?? [...(state.config.Shell ?? DEFAULT_SHELL), ins.text];
}

function expose(ctx: MetadataContext, state: StageState, ins: RawInstruction): string[] {
  const ports = expandWords(ins.text, stageLookup(state), ctx.escape);
  for (const port of ports) {
    if (!EXPOSE.test(port))
      throw syntaxError({ file: ctx.file, line: ins.line }, `EXPOSE: invalid port '${port}'`);
  }
  const keys = ports.map((p) => (p.includes('/') ? p.toLowerCase() : `${p}/tcp`));
  state.config.ExposedPorts = {
    ...state.config.ExposedPorts,
    ...Object.fromEntries(keys.map((k) => [k, {}])),
  };
  return keys;
}

/** `ARG NAME[=default]…`: --build-arg wins, then the default, then a global ARG's value. */
function declareArgs(ctx: MetadataContext, state: StageState, ins: RawInstruction): unknown {
  const pairs = parsePairs(ins.text, {
    lookup: stageLookup(state),
    esc: ctx.escape,
    legacy: false,
    valueRequired: false,
  });
  for (const [name, fallback] of pairs) {
    state.args.set(name, ctx.buildArgs[name] ?? fallback ?? ctx.globalArgs.get(name));
  }
  return pairs.map(([name]) => [name, state.args.get(name)]);
}

/** Evaluates the ARGs before the first FROM (plus the platform ARGs BuildKit predefines). */
export function globalArgValues(
  ctx: Omit<MetadataContext, 'globalArgs'>,
  args: readonly RawInstruction[],
): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>([
    ['TARGETPLATFORM', 'linux/amd64'],
    ['TARGETOS', 'linux'],
    ['TARGETARCH', 'amd64'],
    ['TARGETVARIANT', ''],
    ['BUILDPLATFORM', 'linux/amd64'],
    ['BUILDOS', 'linux'],
    ['BUILDARCH', 'amd64'],
  ]);
  for (const ins of args) {
    const pairs = parsePairs(ins.text, {
      lookup: (n) => values.get(n),
      esc: ctx.escape,
      legacy: false,
      valueRequired: false,
    });
    for (const [name, fallback] of pairs) values.set(name, ctx.buildArgs[name] ?? fallback);
  }
  return values;
}
