// A step's root filesystem: an active snapshot over the stage's layers, mounted under the
// build's work root, turned into a layer and committed when the step is done — or, on any
// failure, unmounted and removed again in reverse order, so nothing is left behind.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../core/index.ts';
import { writeGzipLayer } from '../archive/index.ts';
import type { Descriptor } from '../manifest/index.ts';
import { mountSnapshot, Undo } from '../rootfs/index.ts';
import { chainIds, unpackImage, upperDir } from '../unpack/index.ts';
import { diffTar, isEmptyDiff } from './diff.ts';
import type { BuildSyscalls } from './syscalls.ts';
import type { BuildDeps } from './types.ts';

/** A layer of the image being built. */
export interface LayerRef {
  descriptor: Descriptor;
  diffId: string;
}

/** Makes sure every layer is unpacked into a committed snapshot; returns the top chain ID. */
export async function ensureSnapshots(
  deps: BuildDeps,
  layers: readonly LayerRef[],
): Promise<string | undefined> {
  if (layers.length === 0) return undefined;
  const result = await unpackImage({
    snapshotter: deps.snapshotter,
    layers: layers.map((l) => ({ diffId: l.diffId, open: () => deps.content.read(l.descriptor.digest) })),
  });
  return result.chainId;
}

/** Tidies the upper dir once it is unmounted, before it becomes a layer (mount-point stubs). */
export type AfterUnmount = (upper: string) => Promise<void>;

/** What a filesystem step produced: a new layer, or none when it changed nothing. */
export interface StepLayer {
  layer: LayerRef | undefined;
}

/**
 * Runs `work` on a writable root filesystem over `layers`, then turns what it changed into a
 * layer (content store) and a committed snapshot named by the new chain ID.
 */
export async function withStepRootfs(
  deps: BuildDeps & { syscalls: BuildSyscalls },
  layers: readonly LayerRef[],
  work: (rootfs: string) => Promise<AfterUnmount | undefined>,
): Promise<StepLayer> {
  const undo = new Undo('the build step');
  try {
    const parent = await ensureSnapshots(deps, layers);
    const id = randomBytes(8).toString('hex');
    const key = `build-${id}`;
    const mounts = await deps.snapshotter.prepare(key, parent);
    undo.add(() => removeIfPresent(deps, key));
    const dir = join(deps.workRoot, id);
    undo.add(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'rootfs'), { recursive: true, mode: 0o700 });
    mountSnapshot(deps.syscalls, mounts, join(dir, 'rootfs'));
    let mounted = true;
    const unmount = () => {
      if (mounted) deps.syscalls.unmount(join(dir, 'rootfs'));
      mounted = false;
    };
    undo.add(unmount);
    const after = await work(join(dir, 'rootfs'));
    const layer = await commitStep({ deps, layers, key, upper: upperDir(mounts), unmount, after });
    await rm(dir, { recursive: true, force: true });
    return { layer };
  } catch (err) {
    await undo.run().catch((cleanup) => {
      throw new AggregateError([err, cleanup], `${(err as Error).message}; and cleaning up failed`);
    });
    throw err;
  }
}

async function removeIfPresent(deps: BuildDeps, key: string): Promise<void> {
  try {
    await deps.snapshotter.remove(key);
  } catch (err) {
    if (!(err instanceof BerthError && err.code === 'ERR_STORAGE_SNAPSHOT_NOT_FOUND')) throw err;
  }
}

async function commitStep(o: {
  deps: BuildDeps & { syscalls: BuildSyscalls };
  layers: readonly LayerRef[];
  key: string;
  upper: string;
  unmount: () => void;
  after: AfterUnmount | undefined;
}): Promise<LayerRef | undefined> {
  o.unmount();
  await o.after?.(o.upper);
  if (await isEmptyDiff(o.upper)) {
    await o.deps.snapshotter.remove(o.key);
    return undefined;
  }
  const blob = await writeGzipLayer(diffTar(o.upper, o.deps.syscalls), {
    content: o.deps.content,
    what: 'the layer the step made',
  });
  const chain = chainIds([...o.layers.map((l) => l.diffId), blob.diffId]);
  try {
    await o.deps.snapshotter.commit(chain[chain.length - 1]!, o.key);
  } catch (err) {
    // The same layer over the same parent exists already: keep that one.
    if (!(err instanceof BerthError && err.code === 'ERR_STORAGE_SNAPSHOT_EXISTS')) throw err;
    await o.deps.snapshotter.remove(o.key);
  }
  return { descriptor: blob.descriptor, diffId: blob.diffId };
}

/** Runs `read` on a read-only mount of `layers` (another stage or image, for COPY --from). */
export async function withLayersView<T>(
  deps: BuildDeps & { syscalls: BuildSyscalls },
  layers: readonly LayerRef[],
  read: (root: string) => Promise<T>,
): Promise<T> {
  const undo = new Undo('the build step');
  const id = randomBytes(8).toString('hex');
  const dir = join(deps.workRoot, `view-${id}`);
  try {
    undo.add(() => rm(dir, { recursive: true, force: true }));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const parent = await ensureSnapshots(deps, layers);
    if (parent === undefined) return await read(dir);
    const mounts = await deps.snapshotter.view(`view-${id}`, parent);
    undo.add(() => deps.snapshotter.remove(`view-${id}`));
    mountSnapshot(deps.syscalls, mounts, dir);
    undo.add(() => deps.syscalls.unmount(dir));
    return await read(dir);
  } finally {
    await undo.run();
  }
}
