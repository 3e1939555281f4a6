// `berth build` (also `berth image build`): an image from a Containerfile, RUN steps in Berth
// containers. Progress (`STEP 2/5: RUN …`, the step's output, `CACHED`) goes to stderr.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultPaths, lock } from '../../core/index.ts';
import {
  BuildCache,
  type BuildEvent,
  type BuildResult,
  buildImage,
  buildLockPath,
  ContentStore,
  ensureBaseImage,
  type ImageRecord,
  ImageStore,
  libcBuildSyscalls,
  localHost,
  parseReference,
  pullImage,
  recoverBuildLeftovers,
} from '../../image/index.ts';
import { OverlaySnapshotter } from '../../storage/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { runtimeStepRunner } from './build-runner.ts';
import {
  imageContext,
  registryAccess,
  requirePositional,
  stateDirOf,
  stringValue,
  usage,
} from './image-context.ts';

export const buildCommand: Command = {
  name: 'build',
  summary: 'Build an image from a Containerfile or Dockerfile',
  usage: 'build [-t NAME:TAG]... [-f FILE] [--build-arg K=V]... [--target STAGE] [--no-cache] CONTEXT',
  description:
    'RUN steps run in Berth containers in the host network namespace (with its resolv.conf), so\n' +
    'apt-get install works. Layers are cached per step; --no-cache runs every step.',
  options: {
    'state-dir': { type: 'string' },
    tag: { type: 'string', short: 't', multiple: true },
    file: { type: 'string', short: 'f' },
    'build-arg': { type: 'string', multiple: true },
    target: { type: 'string' },
    'no-cache': { type: 'boolean' },
  },
  optionHelp: {
    'state-dir': 'Berth state directory (default /var/lib/berth, or BERTH_STATE_DIR)',
    tag: 'name the image NAME[:TAG] (repeatable)',
    file: 'the Containerfile (default CONTEXT/Containerfile, else CONTEXT/Dockerfile)',
    'build-arg': 'set a build-time ARG (repeatable)',
    target: 'build this stage (name or index) instead of the last',
    'no-cache': 'do not use the layer cache',
  },
  async run(ctx: CommandContext) {
    const contextDir = requirePositional(ctx, 0, 'build context directory', 'build');
    const stateDir = stateDirOf(ctx);
    const show = progressPrinter(ctx);
    const deps = await buildDeps(ctx, stateDir, show);
    const held = await lock(buildLockPath(stateDir), { timeoutMs: 24 * 3600 * 1000 });
    let result: BuildResult;
    try {
      await recoverBuildLeftovers({
        workRoot: deps.workRoot,
        snapshotter: deps.snapshotter,
        syscalls: libcBuildSyscalls,
      });
      await deps.runner.removeLeftovers();
      result = await buildImage(
        {
          context: contextDir,
          file: stringValue(ctx, 'file'),
          tags: list(ctx.values.tag),
          buildArgs: buildArgs(list(ctx.values['build-arg'])),
          target: stringValue(ctx, 'target'),
          noCache: ctx.values['no-cache'] === true,
          onEvent: show,
        },
        deps,
      );
    } finally {
      await held.release();
    }
    return {
      data: { id: result.image.id, names: result.image.names, steps: result.steps, cached: result.cached },
      render: (r: { id: string; names: string[] }) =>
        `${r.names.map((n) => `Successfully tagged ${n}\n`).join('')}${r.id}\n`,
    };
  },
};

async function buildDeps(ctx: CommandContext, stateDir: string, show: (e: BuildEvent) => void) {
  const content = ContentStore.forStateDir(stateDir);
  const images = ImageStore.forStateDir(stateDir);
  const workRoot = join(stateDir, 'build', 'work');
  await mkdir(workRoot, { recursive: true, mode: 0o700 });
  return {
    content,
    images,
    snapshotter: new OverlaySnapshotter(join(stateDir, 'snapshots', 'overlay')),
    runner: runtimeStepRunner({ stateRoot: join(defaultPaths().runDir, 'build') }),
    cache: BuildCache.forStateDir(stateDir),
    workRoot,
    resolveImage: (ref: string) => resolveImage(ctx, { content, images }, ref, show),
  };
}

/** An image in the store, a built-in base image (busybox is made locally), or a pull. */
async function resolveImage(
  ctx: CommandContext,
  stores: { content: ContentStore; images: ImageStore },
  ref: string,
  show: (e: BuildEvent) => void,
): Promise<ImageRecord> {
  const found = await stores.images.find(ref);
  if (found) return found;
  const line = (text: string) => show({ type: 'output', chunk: Buffer.from(`${text}\n`) });
  const base = await ensureBaseImage(ref, { ...stores, host: localHost, onLine: line });
  if (base) return base;
  const registry = imageContext(ctx);
  const reference = parseReference(ref);
  line(`pulling ${ref} (for 'debian:bookworm' without a network, run 'berth build-base debian' first)`);
  return pullImage({
    reference,
    content: stores.content,
    images: stores.images,
    ...(await registryAccess(registry, reference.registry)),
  });
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** `K=V` pairs; a bare `K` takes the value of the environment variable K, as docker does. */
function buildArgs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === 0) throw usage(`build: --build-arg '${pair}' has no name`, 'build');
    if (eq === -1) {
      if (process.env[pair] !== undefined) out[pair] = process.env[pair]!;
    } else out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Step lines and RUN output on stderr, as `podman build` prints them; nothing with --json. */
function progressPrinter(ctx: CommandContext): (event: BuildEvent) => void {
  if (ctx.json) return () => {};
  const err = process.stderr;
  return (event) => {
    if (event.type === 'step') err.write(`STEP ${event.step}/${event.total}: ${event.text}\n`);
    else if (event.type === 'cached') err.write('--> CACHED\n');
    else if (event.type === 'output') err.write(event.chunk);
    else if (event.type === 'layer') err.write(`--> layer ${event.digest.slice(7, 19)}\n`);
  };
}
