// Images in and out of a build: a stored image as a stage's starting point, and a finished
// stage written as config + OCI manifest into the content store and recorded under its tags.
import type { ContentStore } from '../content/index.ts';
import type { ConfigFields } from '../manifest/index.ts';
import { type Descriptor, hostPlatform, MediaType } from '../manifest/index.ts';
import { formatReference, parseReference } from '../reference/index.ts';
import type { ImageRecord, ImageStore } from '../store/index.ts';
import { cacheKey } from './cache.ts';
import { buildError } from './errors.ts';
import type { LayerRef } from './rootfs.ts';
import type { HistoryJson, StageState } from './state.ts';

interface ConfigDoc {
  config?: ConfigFields;
  history?: HistoryJson[];
  rootfs?: { diff_ids?: string[] };
}

/** The layers of a stored image, with the diff_ids from its config. */
export async function imageLayers(
  content: ContentStore,
  record: ImageRecord,
): Promise<{ layers: LayerRef[]; doc: ConfigDoc }> {
  const doc = JSON.parse(
    (await content.readBytes(record.config.digest, 16 * 1024 * 1024)).toString('utf8'),
  ) as ConfigDoc;
  const diffIds = doc.rootfs?.diff_ids ?? [];
  if (diffIds.length !== record.layers.length) {
    throw buildError({
      code: 'ERR_IMAGE_CONFIG_INVALID',
      message: `image ${record.names[0] ?? record.id} has ${record.layers.length} layers but ${diffIds.length} diff_ids`,
    });
  }
  return { layers: record.layers.map((descriptor, i) => ({ descriptor, diffId: diffIds[i]! })), doc };
}

/** A stage's starting state from a stored image (FROM image). */
export async function stageFromImage(
  content: ContentStore,
  record: ImageRecord,
  stage: { index: number; name: string | undefined },
): Promise<StageState> {
  const { layers, doc } = await imageLayers(content, record);
  return {
    ...stage,
    layers,
    config: structuredClone(doc.config ?? {}),
    history: structuredClone(doc.history ?? []),
    key: cacheKey('', ['FROM', record.id]),
    args: new Map(),
    cmdSet: false,
  };
}

/** OCI layer media types for layers that came from Docker-typed manifests. */
function ociLayer(descriptor: Descriptor): Descriptor {
  const mediaType =
    descriptor.mediaType === MediaType.dockerLayerGzip
      ? MediaType.ociLayerGzip
      : descriptor.mediaType === MediaType.dockerLayer
        ? MediaType.ociLayer
        : descriptor.mediaType;
  return { mediaType, digest: descriptor.digest, size: descriptor.size };
}

/** Normalized tag names; a malformed one (or one with a digest) fails before anything is built. */
export function normalizeTags(tags: readonly string[]): string[] {
  return tags.map((tag) => {
    const ref = parseReference(tag);
    if (ref.digest) {
      throw buildError({
        code: 'ERR_IMAGE_REFERENCE_INVALID',
        message: `invalid tag '${tag}': a tag cannot include a digest`,
      });
    }
    return formatReference(ref);
  });
}

/** Writes the stage's config and manifest and records the image under `names`. */
export async function writeImage(
  stores: { content: ContentStore; images: ImageStore },
  state: StageState,
  names: string[],
): Promise<ImageRecord> {
  const created = new Date().toISOString();
  const platform = hostPlatform();
  const config = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    config: state.config,
    rootfs: { type: 'layers', diff_ids: state.layers.map((l) => l.diffId) },
    history: state.history,
  };
  const configBlob = await stores.content.write(Buffer.from(JSON.stringify(config)));
  const configDescriptor: Descriptor = {
    mediaType: MediaType.ociConfig,
    digest: configBlob.digest,
    size: configBlob.size,
  };
  const layers = state.layers.map((l) => ociLayer(l.descriptor));
  const manifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers };
  const manifestBlob = await stores.content.write(Buffer.from(JSON.stringify(manifest)));
  return stores.images.put({
    id: configBlob.digest,
    names,
    repoDigests: [],
    manifest: { mediaType: MediaType.ociManifest, digest: manifestBlob.digest, size: manifestBlob.size },
    config: configDescriptor,
    layers,
    platform,
    size: configBlob.size + layers.reduce((sum, l) => sum + l.size, 0),
    created,
    sources: [],
    added: new Date().toISOString(),
  });
}
