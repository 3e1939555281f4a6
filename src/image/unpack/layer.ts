// unpackLayer: decompress, hash and apply one layer in a single pass over its bytes.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { BerthError } from '../../core/index.ts';
import { type TarLimits, TarReader } from '../tar/index.ts';
import { LayerApplier, type LayerStats } from './applier.ts';
import { type Compression, decompress } from './decompress.ts';
import { RootModel } from './root-model.ts';
import { libcSyscalls, type UnpackSyscalls } from './syscalls.ts';
import type { WhiteoutMode } from './whiteouts.ts';

export interface UnpackLayerOptions {
  /** Create char/block device entries (default true when running as root). */
  allowDevices?: boolean;
  /** Apply the layer's uid/gid (default true when running as root). */
  preserveOwnership?: boolean;
  /** `overlay` (default) writes overlay whiteouts into an upper dir; `flatten` deletes. */
  whiteouts?: WhiteoutMode;
  /** Refuse layers whose uncompressed size exceeds this many bytes (decompression bomb guard). */
  maxBytes?: number;
  limits?: Partial<TarLimits>;
  syscalls?: UnpackSyscalls;
}

export interface UnpackLayerRequest {
  /** The layer blob: tar, tar+gzip or tar+zstd. */
  source: Readable | AsyncIterable<Buffer>;
  /** Directory to apply the layer to; must exist and not be a symlink. */
  target: string;
  options?: UnpackLayerOptions;
}

export interface UnpackLayerResult extends LayerStats {
  /** sha256 of the uncompressed tar stream: the layer's diff_id. */
  diffId: string;
  compression: Compression;
  /** Uncompressed size in bytes. */
  size: number;
}

const isRoot = process.getuid?.() === 0;

/** Applies one layer to `target`, returning what it wrote and the digest of the uncompressed tar. */
export async function unpackLayer(request: UnpackLayerRequest): Promise<UnpackLayerResult> {
  const options = request.options ?? {};
  const root = openRoot(request.target);
  const model = new RootModel(root, readdirSync(root).length === 0);
  const applier = new LayerApplier(
    model,
    {
      allowDevices: options.allowDevices ?? isRoot,
      preserveOwnership: options.preserveOwnership ?? isRoot,
      whiteouts: options.whiteouts ?? 'overlay',
    },
    options.syscalls ?? libcSyscalls,
  );
  const reader = new TarReader(applier, options.limits);
  const hash = createHash('sha256');
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  let size = 0;
  try {
    const { compression, stream } = await decompress(request.source);
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge(maxBytes);
      hash.update(chunk);
      reader.push(chunk);
    }
    reader.end();
    applier.finish();
    return { ...applier.stats, diffId: `sha256:${hash.digest('hex')}`, compression, size };
  } finally {
    applier.abort();
  }
}

function openRoot(target: string): string {
  const st = lstatSync(target, { throwIfNoEntry: false });
  if (st === undefined || !st.isDirectory()) {
    throw new BerthError({
      code: 'ERR_IMAGE_UNPACK_TARGET',
      category: 'InvalidArgument',
      message: `unpack target ${target} is not a directory`,
      hint: 'create the directory first; a symlink is not accepted',
    });
  }
  return realpathSync(target);
}

function tooLarge(maxBytes: number): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_LAYER_TOO_LARGE',
    category: 'InvalidArgument',
    message: `layer expands to more than ${maxBytes} bytes`,
    hint: 'the layer may be a decompression bomb; raise maxBytes if it is genuine',
  });
}
