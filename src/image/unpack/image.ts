// unpackImage: layers → committed snapshots keyed by chain ID, sharing what already exists.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BerthError, DiskFullError, diskFullError, isDiskFull, isErrno } from '../../core/index.ts';
import type { Mount, Snapshotter } from '../../storage/index.ts';
import { chainIds } from './chain.ts';
import { type UnpackLayerOptions, type UnpackLayerResult, unpackLayer } from './layer.ts';

export interface ImageLayer {
  /** The layer's diff_id from the image config (sha256 of its uncompressed tar). */
  diffId: string;
  /** Opens the layer blob; called only when the layer is not already unpacked. */
  open(): Readable | AsyncIterable<Buffer> | Promise<Readable | AsyncIterable<Buffer>>;
}

export interface UnpackImageRequest {
  snapshotter: Snapshotter;
  /** Bottom layer first, as in the image config's rootfs.diff_ids. */
  layers: ImageLayer[];
  options?: Omit<UnpackLayerOptions, 'whiteouts'>;
}

export interface UnpackedLayer {
  chainId: string;
  /** False when a snapshot with this chain ID already existed and was reused. */
  unpacked: boolean;
  stats: UnpackLayerResult | undefined;
}

export interface UnpackImageResult {
  /** Chain ID of the top layer: the parent to prepare a container's snapshot from. */
  chainId: string;
  layers: UnpackedLayer[];
}

/** Unpacks each layer not yet present into a snapshot named by its chain ID, verifying diff_ids. */
export async function unpackImage(request: UnpackImageRequest): Promise<UnpackImageResult> {
  if (request.layers.length === 0) throw new Error('unpackImage needs at least one layer');
  const chain = chainIds(request.layers.map((l) => l.diffId));
  const layers: UnpackedLayer[] = [];
  for (const [i, layer] of request.layers.entries()) {
    const chainId = chain[i]!;
    if (await committed(request.snapshotter, chainId)) {
      layers.push({ chainId, unpacked: false, stats: undefined });
      continue;
    }
    const stats = await unpackOne(request, { layer, chainId, parent: chain[i - 1] });
    layers.push({ chainId, unpacked: stats !== undefined, stats });
  }
  return { chainId: chain[chain.length - 1]!, layers };
}

async function committed(snapshotter: Snapshotter, key: string): Promise<boolean> {
  try {
    return (await snapshotter.stat(key)).kind === 'committed';
  } catch (err) {
    if (err instanceof BerthError && err.code === 'ERR_STORAGE_SNAPSHOT_NOT_FOUND') return false;
    throw err;
  }
}

interface Step {
  layer: ImageLayer;
  chainId: string;
  parent: string | undefined;
}

/** Unpacks into a temporary active snapshot and commits it; any failure removes it. */
async function unpackOne(request: UnpackImageRequest, step: Step): Promise<UnpackLayerResult | undefined> {
  const { snapshotter } = request;
  const key = `extract-${randomBytes(8).toString('hex')} ${step.chainId}`;
  const mounts = await snapshotter.prepare(key, step.parent);
  try {
    const source = await step.layer.open();
    const stats = await unpackLayer({ source, target: upperDir(mounts), options: { ...request.options } });
    if (stats.diffId !== step.layer.diffId) throw digestMismatch(step.layer.diffId, stats.diffId);
    try {
      await snapshotter.commit(step.chainId, key);
    } catch (err) {
      // Another unpack of the same image committed first: theirs is as good as ours.
      if (err instanceof BerthError && err.code === 'ERR_STORAGE_SNAPSHOT_EXISTS') {
        await snapshotter.remove(key);
        return undefined;
      }
      throw err;
    }
    return stats;
  } catch (err) {
    await snapshotter.remove(key).catch((cleanup) => {
      if (!isErrno(cleanup, 'ENOENT'))
        throw new AggregateError([err, cleanup], 'unpack failed and so did cleanup');
    });
    if (!isDiskFull(err)) throw err;
    const inner = err instanceof DiskFullError ? ` (${err.what})` : '';
    throw diskFullError(`layer ${step.layer.diffId}${inner}`, err);
  }
}

/** The writable directory of an active snapshot's mounts (bind source or overlay upperdir). */
export function upperDir(mounts: Mount[]): string {
  const [mount] = mounts;
  if (mounts.length === 1 && mount?.type === 'bind' && !mount.options.includes('ro')) return mount.source;
  const upper = mount?.options.find((o) => o.startsWith('upperdir='));
  if (mounts.length === 1 && mount?.type === 'overlay' && upper !== undefined)
    return upper.slice('upperdir='.length);
  throw new Error(`cannot unpack into mounts ${JSON.stringify(mounts)}: not one writable layer`);
}

function digestMismatch(want: string, got: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_LAYER_DIGEST_MISMATCH',
    category: 'InvalidArgument',
    message: `layer content does not match its diff_id: expected ${want}, got ${got}`,
    hint: 'the layer blob or the image config is corrupt; re-pull the image',
  });
}
