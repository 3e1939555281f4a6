// The instructions that change files — RUN, COPY, ADD — each a layer built on a fresh active
// snapshot, or taken from the layer cache when its key was seen before.
import { statfsSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { type CachedStep, cacheKey } from './cache.ts';
import { expandWords, type RawInstruction } from './containerfile/index.ts';
import {
  hashSources,
  lstatOrUndefined,
  resolveInTree,
  type SourceTree,
  selectSources,
} from './context/index.ts';
import { copyIntoRootfs } from './copy.ts';
import { buildError, stepName, syntaxError } from './errors.ts';
import { commandForm } from './metadata.ts';
import { type LayerRef, type StepLayer, withLayersView, withStepRootfs } from './rootfs.ts';
import type { BuildScope } from './scope.ts';
import { runEnv, type StageState, stageLookup } from './state.ts';
import { resolveUser } from './users.ts';

/** What a filesystem step added to the stage: a layer (or none), and whether it came from the cache. */
export interface StepOutcome {
  layer: LayerRef | undefined;
  cached: boolean;
}

/** Applies a cached step or does the work, records the cache entry, and adds the layer to the stage. */
async function cachedStep(
  scope: BuildScope,
  state: StageState,
  key: string,
  work: () => Promise<StepLayer>,
): Promise<StepOutcome> {
  const hit = scope.request.noCache ? undefined : await usable(scope, await scope.deps.cache.get(key));
  let layer: LayerRef | undefined;
  if (hit) {
    layer = hit.layer;
    scope.emit({ type: 'cached', step: scope.step });
  } else {
    layer = (await work()).layer;
    await scope.deps.cache.put(key, { layer, created: new Date().toISOString() });
  }
  state.key = key;
  if (layer) {
    state.layers.push(layer);
    scope.emit({
      type: 'layer',
      step: scope.step,
      digest: layer.descriptor.digest,
      size: layer.descriptor.size,
    });
  }
  return { layer, cached: hit !== undefined };
}

/** A cache entry counts only while its layer blob is still in the content store. */
async function usable(scope: BuildScope, entry: CachedStep | undefined): Promise<CachedStep | undefined> {
  if (!entry) return undefined;
  if (entry.layer && !(await scope.deps.content.has(entry.layer.descriptor.digest as `sha256:${string}`)))
    return undefined;
  return entry;
}

/** RUN: the command in a container on the step's root filesystem, with the host's network. */
export async function runInstruction(
  scope: BuildScope,
  state: StageState,
  ins: RawInstruction,
): Promise<StepOutcome> {
  for (const flag of Object.keys(ins.flags)) {
    throw syntaxError({ file: scope.file.file, line: ins.line }, `RUN --${flag} is not supported`);
  }
  const args = commandForm(state, ins);
  const env = runEnv(state);
  const cwd = state.config.WorkingDir || '/';
  const userSpec = state.config.User ?? '';
  const key = cacheKey(state.key, ['RUN', args, env, cwd, userSpec]);
  return cachedStep(scope, state, key, () =>
    withStepRootfs(scope.deps, state.layers, async (rootfs) => {
      const user = resolveUser(rootfs, userSpec);
      const stub = resolvConfStub(rootfs);
      const tail = new OutputTail();
      const { exitCode } = await scope.deps.runner.run({
        rootfs,
        args,
        env,
        cwd,
        user,
        network: 'host',
        onOutput: (chunk) => {
          tail.push(chunk);
          scope.emit({ type: 'output', chunk });
        },
      });
      if (exitCode !== 0)
        throw runFailed(scope, ins, { exitCode, lines: tail.lines(), full: isFull(rootfs) });
      return stub;
    }),
  );
}

/**
 * The runner bind-mounts the host's resolv.conf; when the image has none, the mount point it
 * creates must not end up in the layer. Returns the clean-up to run on the unmounted upper dir.
 */
function resolvConfStub(rootfs: string): ((upper: string) => Promise<void>) | undefined {
  const tree = { kind: 'rootfs' as const, root: rootfs };
  if (lstatOrUndefined(join(rootfs, resolveInTree(tree, '/etc/resolv.conf'))) !== undefined) return undefined;
  return async (upper) => {
    const stub = lstatOrUndefined(join(upper, 'etc/resolv.conf'));
    if (stub?.isFile() && stub.size === 0) await rm(join(upper, 'etc/resolv.conf'));
    // /etc was only copied up to hold the stub: drop it unless something else changed in it.
    await rmdir(join(upper, 'etc')).catch(() => {});
  };
}

function runFailed(
  scope: BuildScope,
  ins: RawInstruction,
  o: { exitCode: number; lines: string[]; full: boolean },
): Error {
  const step = stepName({ step: scope.step, total: scope.total, file: scope.file.file }, ins);
  // The step's writable layer lives on the state directory's filesystem: say when it filled it.
  const full = o.full ? `; the filesystem of ${scope.deps.workRoot} is full` : '';
  const output = o.lines.length > 0 ? `; last output:\n${o.lines.map((l) => `  ${l}`).join('\n')}` : '';
  return buildError({
    code: 'ERR_IMAGE_BUILD_RUN_FAILED',
    category: 'FailedPrecondition',
    message: `${step} exited with code ${o.exitCode}${full}${output}`,
    hint: o.full
      ? "free space there ('berth image prune' removes unused images and layers), then retry; the build left nothing behind"
      : 'fix the command; the build left nothing behind and the steps before it are cached',
  });
}

/** Less than 1 MiB left where the step writes (statfs of the overlay reports its upper dir's filesystem). */
function isFull(rootfs: string): boolean {
  const fs = statfsSync(rootfs);
  return fs.bfree * fs.bsize < 1024 * 1024;
}

/** The last lines a RUN step printed, for the error message. */
class OutputTail {
  #text = '';

  push(chunk: Buffer): void {
    this.#text = (this.#text + chunk.toString('utf8')).slice(-4096);
  }

  lines(): string[] {
    return this.#text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-10);
  }
}

const COPY_FLAGS = new Set(['from', 'chown', 'chmod', 'link']);

/** COPY and ADD: files from the context (or another stage or image) into a new layer. */
export async function copyInstruction(
  scope: BuildScope,
  state: StageState,
  ins: RawInstruction,
): Promise<StepOutcome> {
  const where = { file: scope.file.file, line: ins.line };
  for (const flag of Object.keys(ins.flags)) {
    if (!COPY_FLAGS.has(flag)) throw syntaxError(where, `${ins.keyword} --${flag} is not supported`);
  }
  const words = ins.json ?? expandWords(ins.text, stageLookup(state), scope.file.escape);
  if (words.length < 2)
    throw syntaxError(where, `${ins.keyword} needs at least one source and a destination`);
  const sources = words.slice(0, -1);
  const destWord = words[words.length - 1]!;
  const dest = posix.resolve(state.config.WorkingDir || '/', destWord) + (destWord.endsWith('/') ? '/' : '');
  if (ins.keyword === 'ADD') rejectRemote(sources);
  const chmod = parseChmod(where, ins.flags.chmod);
  const run = async (tree: SourceTree, origin: string) => {
    const selected = selectSources(tree, sources);
    const key = cacheKey(state.key, [
      ins.keyword,
      origin,
      sources,
      dest,
      ins.flags.chown,
      chmod,
      await hashSources(selected),
    ]);
    const many = sources.length > 1 || selected.length > 1;
    return cachedStep(scope, state, key, () =>
      withStepRootfs(scope.deps, state.layers, async (rootfs) => {
        const owner = ins.flags.chown ? resolveUser(rootfs, ins.flags.chown) : undefined;
        await copyIntoRootfs({
          rootfs,
          sources: selected,
          dest,
          many,
          owner,
          chmod,
          extract: ins.keyword === 'ADD',
        });
        return undefined;
      }),
    );
  };
  if (ins.flags.from === undefined) return run(scope.context, 'context');
  const from = await scope.resolveFrom(ins.flags.from, state);
  return withLayersView(scope.deps, from.layers, (root) => run({ kind: 'rootfs', root }, from.key));
}

function rejectRemote(sources: readonly string[]): void {
  const remote = sources.find((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith('git@'));
  if (remote === undefined) return;
  throw buildError({
    code: 'ERR_IMAGE_BUILD_REMOTE_SOURCE',
    category: 'FailedPrecondition',
    message: `ADD ${remote}: fetching URLs is not supported (Berth builds offline)`,
    hint: 'download the file into the build context and COPY it, or fetch it in a RUN step',
  });
}

function parseChmod(where: { file: string; line: number }, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-7]{3,4}$/.test(value))
    throw syntaxError(where, `--chmod=${value}: expected an octal mode such as 0755`);
  return Number.parseInt(value, 8);
}
