// Makes an image from one uncompressed tar stream: the layer is gzip-compressed into the content
// store while its diff_id is hashed on the uncompressed bytes, in a single pass.
import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { ContentStore, Digest } from '../content/index.ts';
import type { ConfigFields } from '../manifest/index.ts';
import { type Descriptor, hostPlatform, MediaType } from '../manifest/index.ts';
import { formatReference, parseReference } from '../reference/index.ts';
import type { ImageRecord, ImageStore } from '../store/index.ts';

export interface SingleLayerImage {
  /** The uncompressed layer tar. */
  layer: AsyncIterable<Uint8Array>;
  content: ContentStore;
  images: ImageStore;
  runtime: ConfigFields;
  /** Names to give the image (normalized here). */
  names: string[];
  /** The config's `created` and the history entry's time (fixed for reproducible images). */
  created: string;
  createdBy: string;
  comment?: string;
  /** Names the layer in errors, e.g. `the layer of rootfs.tar`. */
  what?: string;
  /** Bytes of uncompressed layer seen so far. */
  onProgress?: (bytes: number) => void;
}

export interface LayerBlob {
  descriptor: Descriptor;
  diffId: Digest;
  /** Uncompressed size. */
  size: number;
}

/** Compresses a tar stream into a gzip layer blob, hashing the uncompressed bytes as they pass. */
export async function writeGzipLayer(
  tar: AsyncIterable<Uint8Array>,
  options: { content: ContentStore; what?: string; onProgress?: (bytes: number) => void },
): Promise<LayerBlob> {
  const hash = createHash('sha256');
  let size = 0;
  const counted = (async function* () {
    for await (const chunk of tar) {
      hash.update(chunk);
      size += chunk.byteLength;
      options.onProgress?.(size);
      yield chunk;
    }
  })();
  // pipeline, not pipe: an error in the source must reach the reader of the gzip stream.
  const gzip = pipeline(Readable.from(counted), createGzip({ level: 6 }), () => {});
  const written = await options.content.write(gzip as AsyncIterable<Uint8Array>, { what: options.what });
  return {
    descriptor: { mediaType: MediaType.ociLayerGzip, digest: written.digest, size: written.size },
    diffId: `sha256:${hash.digest('hex')}`,
    size,
  };
}

/** Writes layer, config and OCI manifest to the store and records the image. */
export async function createSingleLayerImage(options: SingleLayerImage): Promise<ImageRecord> {
  const layer = await writeGzipLayer(options.layer, options);
  const platform = hostPlatform();
  const config = {
    created: options.created,
    architecture: platform.architecture,
    os: platform.os,
    config: options.runtime,
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [
      {
        created: options.created,
        created_by: options.createdBy,
        ...(options.comment ? { comment: options.comment } : {}),
      },
    ],
  };
  const configBlob = await options.content.write(Buffer.from(JSON.stringify(config)));
  const configDescriptor: Descriptor = {
    mediaType: MediaType.ociConfig,
    digest: configBlob.digest,
    size: configBlob.size,
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: configDescriptor,
    layers: [layer.descriptor],
  };
  const manifestBlob = await options.content.write(Buffer.from(JSON.stringify(manifest)));
  return options.images.put({
    id: configBlob.digest,
    names: options.names.map((n) => formatReference(parseReference(n))),
    repoDigests: [],
    manifest: { mediaType: MediaType.ociManifest, digest: manifestBlob.digest, size: manifestBlob.size },
    config: configDescriptor,
    layers: [layer.descriptor],
    platform,
    size: configBlob.size + layer.descriptor.size,
    created: options.created,
    sources: [],
    added: new Date().toISOString(),
  });
}
