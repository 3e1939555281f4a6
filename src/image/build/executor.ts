// `buildImage`: parse the Containerfile, build the stages the target needs in order, one step
// per instruction, and record the target stage as an image.
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { BerthError, isErrno } from '../../core/index.ts';
import { hostPlatform, normalizePlatform, parsePlatform } from '../manifest/index.ts';
import { cacheKey } from './cache.ts';
import {
  type Containerfile,
  expandWord,
  parseContainerfile,
  type RawInstruction,
  type Stage,
  WordError,
} from './containerfile/index.ts';
import { compileIgnore, type IgnoreMatcher } from './context/index.ts';
import { buildError, diskFullInStep, stepName, syntaxError } from './errors.ts';
import { imageLayers, normalizeTags, stageFromImage, writeImage } from './image.ts';
import { applyMetadata, globalArgValues } from './metadata.ts';
import type { BuildScope } from './scope.ts';
import { historyOf, type StageState, stageLookup } from './state.ts';
import { copyInstruction, runInstruction } from './steps.ts';
import { libcBuildSyscalls } from './syscalls.ts';
import type { BuildDeps, BuildRequest, BuildResult } from './types.ts';

/** Builds the image a Containerfile describes and records it under the request's tags. */
export async function buildImage(request: BuildRequest, deps: BuildDeps): Promise<BuildResult> {
  const names = normalizeTags(request.tags ?? []);
  const context = await contextDir(request.context);
  const { path, text } = await readContainerfile(context, request.file);
  const file = parseContainerfile(text, displayName(context, path));
  const target = targetStage(file, request.target);
  const needed = neededStages(file, target);
  const buildArgs = request.buildArgs ?? {};
  let cached = 0;
  const scope: BuildScope = {
    deps: { ...deps, syscalls: deps.syscalls ?? libcBuildSyscalls },
    request,
    file,
    context: { kind: 'context', root: context, ignore: await readIgnore(context) },
    globalArgs: globalArgValues({ file: file.file, escape: file.escape, buildArgs }, file.globalArgs),
    stages: new Map(),
    step: 0,
    total: file.stages.filter((s) => needed.has(s.index)).reduce((n, s) => n + 1 + s.instructions.length, 0),
    emit: (event) => {
      if (event.type === 'cached') cached++;
      request.onEvent?.(event);
    },
    resolveFrom: (from, state) => resolveFrom(scope, from, state),
  };
  let last: StageState | undefined;
  for (const stage of file.stages) {
    if (!needed.has(stage.index)) continue;
    last = await buildStage(scope, stage);
    scope.stages.set(stage.index, last);
  }
  const image = await writeImage(deps, last!, names);
  scope.emit({ type: 'done', image });
  return { image, steps: scope.total, cached };
}

async function buildStage(scope: BuildScope, stage: Stage): Promise<StageState> {
  scope.step++;
  scope.emit({ type: 'step', step: scope.step, total: scope.total, text: stage.from.original });
  const state = await stageBase(scope, stage);
  for (const ins of stage.instructions) {
    scope.step++;
    scope.emit({ type: 'step', step: scope.step, total: scope.total, text: ins.original });
    const step = stepName({ step: scope.step, total: scope.total, file: scope.file.file }, ins);
    await withLine(scope.file, ins, () => applyInstruction(scope, state, ins)).catch((err) => {
      throw diskFullInStep(err, step);
    });
  }
  return state;
}

async function applyInstruction(scope: BuildScope, state: StageState, ins: RawInstruction): Promise<void> {
  const created = new Date().toISOString();
  if (ins.keyword === 'RUN' || ins.keyword === 'COPY' || ins.keyword === 'ADD') {
    const outcome =
      ins.keyword === 'RUN'
        ? await runInstruction(scope, state, ins)
        : await copyInstruction(scope, state, ins);
    state.history.push(historyOf(ins, created, outcome.layer === undefined));
    return;
  }
  const resolved = applyMetadata(
    {
      file: scope.file.file,
      escape: scope.file.escape,
      buildArgs: scope.request.buildArgs ?? {},
      globalArgs: scope.globalArgs,
    },
    state,
    ins,
  );
  state.key = cacheKey(state.key, [ins.keyword, resolved]);
  state.history.push(historyOf(ins, created, true));
}

/** Errors about an instruction's own arguments, which do not yet say where it is. */
const NEEDS_LINE = new Set([
  'ERR_IMAGE_BUILD_CONTEXT_ESCAPE',
  'ERR_IMAGE_BUILD_SOURCE_NOT_FOUND',
  'ERR_IMAGE_BUILD_SYMLINK_LOOP',
  'ERR_IMAGE_BUILD_COPY_DEST',
  'ERR_IMAGE_BUILD_REMOTE_SOURCE',
  'ERR_IMAGE_BUILD_USER_NOT_FOUND',
]);

async function withLine<T>(file: Containerfile, ins: RawInstruction, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof WordError)
      throw syntaxError({ file: file.file, line: ins.line }, `${ins.keyword}: ${err.message}`);
    if (err instanceof BerthError && NEEDS_LINE.has(err.code))
      err.message = `${file.file}:${ins.line}: ${err.message}`;
    throw err;
  }
}

/** FROM: scratch, an earlier stage, or an image (found or fetched by the caller's resolver). */
async function stageBase(scope: BuildScope, stage: Stage): Promise<StageState> {
  const lookup = (name: string) => scope.globalArgs.get(name);
  return withLine(scope.file, stage.from, async () => {
    checkPlatform(scope, stage, lookup);
    const base = expandWord(stage.base, lookup, scope.file.escape);
    const id = { index: stage.index, name: stage.name };
    if (base.toLowerCase() === 'scratch') {
      return {
        ...id,
        layers: [],
        config: {},
        history: [],
        key: cacheKey('', ['FROM', 'scratch']),
        args: new Map(),
        cmdSet: false,
      };
    }
    const earlier = scope.file.stages.find((s) => s.index < stage.index && s.name === base.toLowerCase());
    if (earlier) {
      const built = scope.stages.get(earlier.index)!;
      return {
        ...id,
        layers: [...built.layers],
        config: structuredClone(built.config),
        history: structuredClone(built.history),
        key: built.key,
        args: new Map(),
        cmdSet: false,
      };
    }
    return stageFromImage(scope.deps.content, await scope.deps.resolveImage(base), id);
  });
}

function checkPlatform(scope: BuildScope, stage: Stage, lookup: (name: string) => string | undefined): void {
  if (stage.platform === undefined) return;
  const wanted = normalizePlatform(parsePlatform(expandWord(stage.platform, lookup, scope.file.escape)));
  const host = normalizePlatform(hostPlatform());
  if (wanted.os === host.os && wanted.architecture === host.architecture) return;
  throw buildError({
    code: 'ERR_IMAGE_BUILD_PLATFORM',
    category: 'FailedPrecondition',
    message: `${scope.file.file}:${stage.from.line}: FROM --platform=${stage.platform}: only ${host.os}/${host.architecture} can be built here`,
    hint: "drop --platform or use this machine's platform",
  });
}

async function resolveFrom(
  scope: BuildScope,
  from: string,
  state: StageState,
): Promise<{ layers: StageState['layers']; key: string }> {
  const name = expandWord(from, stageLookup(state), scope.file.escape).toLowerCase();
  const stage = scope.file.stages.find(
    (s) => s.index < state.index && (s.name === name || String(s.index) === name),
  );
  if (stage) {
    const built = scope.stages.get(stage.index)!;
    return { layers: built.layers, key: built.key };
  }
  const record = await scope.deps.resolveImage(from);
  return { layers: (await imageLayers(scope.deps.content, record)).layers, key: record.id };
}

function targetStage(file: Containerfile, target: string | undefined): Stage {
  if (target === undefined) return file.stages[file.stages.length - 1]!;
  const stage = file.stages.find((s) => s.name === target.toLowerCase() || String(s.index) === target);
  if (stage) return stage;
  throw buildError({
    code: 'ERR_IMAGE_BUILD_TARGET_NOT_FOUND',
    category: 'NotFound',
    message: `no stage '${target}' in ${file.file}`,
    hint: `stages: ${file.stages.map((s) => s.name ?? String(s.index)).join(', ')}`,
  });
}

/** The target and the stages it uses (FROM stage, COPY --from), transitively. */
function neededStages(file: Containerfile, target: Stage): Set<number> {
  const needed = new Set<number>();
  const visit = (stage: Stage) => {
    if (needed.has(stage.index)) return;
    needed.add(stage.index);
    const refs = [stage.base, ...stage.instructions.map((i) => i.flags.from).filter((f) => f !== undefined)];
    for (const ref of refs) {
      // A reference built from ARGs cannot be known before the build: keep every earlier stage.
      const deps = ref.includes('$')
        ? file.stages.filter((s) => s.index < stage.index)
        : file.stages.filter(
            (s) => s.index < stage.index && (s.name === ref.toLowerCase() || String(s.index) === ref),
          );
      for (const dep of deps) visit(dep);
    }
  };
  visit(target);
  return needed;
}

async function contextDir(dir: string): Promise<string> {
  try {
    const real = await realpath(dir);
    if ((await stat(real)).isDirectory()) return real;
  } catch (err) {
    if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
  }
  throw buildError({
    code: 'ERR_IMAGE_BUILD_CONTEXT_NOT_FOUND',
    category: 'NotFound',
    message: `build context '${dir}' is not a directory`,
    hint: 'give the directory holding the files to COPY (often .)',
  });
}

async function readContainerfile(
  context: string,
  file: string | undefined,
): Promise<{ path: string; text: string }> {
  const candidates =
    file !== undefined
      ? [isAbsolute(file) ? file : join(process.cwd(), file)]
      : [join(context, 'Containerfile'), join(context, 'Dockerfile')];
  for (const path of candidates) {
    try {
      return { path, text: await readFile(path, 'utf8') };
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
  throw new BerthError({
    code: 'ERR_IMAGE_BUILD_FILE_NOT_FOUND',
    category: 'NotFound',
    message:
      file !== undefined
        ? `containerfile '${file}' not found`
        : `no Containerfile or Dockerfile in ${context}`,
    hint: 'pass -f PATH or add a Containerfile to the context',
  });
}

function displayName(context: string, path: string): string {
  const rel = relative(context, path);
  return rel.startsWith('..') ? path : rel;
}

/** `.containerignore`, else `.dockerignore`, else nothing is ignored. */
async function readIgnore(context: string): Promise<IgnoreMatcher | undefined> {
  for (const name of ['.containerignore', '.dockerignore']) {
    try {
      return compileIgnore(await readFile(join(context, name), 'utf8'));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
  return undefined;
}
