// Reads `docker save` archives: manifest.json lists each image's config file, tags and layer
// files (legacy `<id>/layer.tar` or the newer `blobs/sha256/<hex>`). Docker archives carry no
// registry manifest, so Berth writes a Docker v2 schema 2 manifest for each image.
import { BerthError } from '../../core/index.ts';
import type { ContentStore, Digest } from '../content/index.ts';
import { type Descriptor, type ImageConfig, MediaType, parseImageConfig } from '../manifest/index.ts';
import type { ArchiveFiles, StoredBlob } from './archive-files.ts';
import { detectCompression } from './compression.ts';
import { invalidArchive, missingMember } from './errors.ts';
import type { LoadedImage } from './loaded-image.ts';

/** One entry of a docker-save manifest.json. */
export interface DockerSaveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** The entries of manifest.json, or undefined when the archive has none. */
export async function readDockerManifest(files: ArchiveFiles): Promise<DockerSaveEntry[] | undefined> {
  const bytes = await files.document('manifest.json');
  if (!bytes) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalidArchive(files.what, `manifest.json is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc)) throw invalidArchive(files.what, 'manifest.json is not an array');
  return doc.map((entry, i) => checkEntry(entry, `${files.what}: manifest.json entry ${i}`));
}

function checkEntry(value: unknown, what: string): DockerSaveEntry {
  const e = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (typeof e.Config !== 'string') throw invalidArchive(what, 'Config is not a path');
  if (!isStrings(e.Layers)) throw invalidArchive(what, 'Layers is not a list of paths');
  if (e.RepoTags != null && !isStrings(e.RepoTags))
    throw invalidArchive(what, 'RepoTags is not a list of names');
  return {
    Config: e.Config,
    Layers: e.Layers as string[],
    RepoTags: (e.RepoTags as string[] | null) ?? null,
  };
}

/** The config digest of an entry (its config file verified into the store). */
export async function entryConfig(
  files: ArchiveFiles,
  entry: DockerSaveEntry,
  what: string,
): Promise<StoredBlob> {
  const blob = await files.blob(entry.Config, { digest: digestInName(entry.Config), what: `${what} config` });
  if (!blob) throw missingMember(what, entry.Config);
  return blob;
}

/** Turns every manifest.json entry into an image with a manifest written to `content`. */
export async function readDockerSave(
  files: ArchiveFiles,
  entries: DockerSaveEntry[],
  content: ContentStore,
): Promise<LoadedImage[]> {
  const images: LoadedImage[] = [];
  for (const [i, entry] of entries.entries()) {
    const what = `${files.what}: manifest.json entry ${i}`;
    const configBlob = await entryConfig(files, entry, what);
    const config = parseImageConfig(await files.stored(configBlob.digest), `${what} config`);
    if (config.diffIds.length !== entry.Layers.length) {
      throw new BerthError({
        code: 'ERR_IMAGE_CONFIG_INVALID',
        category: 'InvalidArgument',
        message: `${what}: the config lists ${config.diffIds.length} layers, manifest.json ${entry.Layers.length}`,
      });
    }
    const layers: Descriptor[] = [];
    for (const [n, path] of entry.Layers.entries()) {
      layers.push(await layerDescriptor({ files, content, path, config, n, what }));
    }
    const configDescriptor: Descriptor = { mediaType: MediaType.dockerConfig, ...configBlob };
    const manifest = await writeManifest(content, configDescriptor, layers);
    images.push({ manifest, configDescriptor, layers, config, names: entry.RepoTags ?? [] });
  }
  return images;
}

async function layerDescriptor(step: {
  files: ArchiveFiles;
  content: ContentStore;
  path: string;
  config: ImageConfig;
  n: number;
  what: string;
}): Promise<Descriptor> {
  const what = `${step.what} layer ${step.n + 1}`;
  const blob = await step.files.blob(step.path, { digest: digestInName(step.path), what });
  if (!blob) throw missingMember(what, step.path);
  const compression = detectCompression(await head(step.content, blob.digest));
  if (compression === 'none' && blob.digest !== step.config.diffIds[step.n]) {
    throw invalidArchive(
      what,
      `its content is ${blob.digest}, the config's diff_id is ${step.config.diffIds[step.n]}`,
    );
  }
  const mediaType =
    compression === 'gzip'
      ? MediaType.dockerLayerGzip
      : compression === 'zstd'
        ? MediaType.ociLayerZstd
        : compression === 'none'
          ? MediaType.dockerLayer
          : undefined;
  if (!mediaType) throw invalidArchive(what, `it is ${compression}-compressed, which image layers cannot be`);
  return { mediaType, ...blob };
}

async function writeManifest(
  content: ContentStore,
  config: Descriptor,
  layers: Descriptor[],
): Promise<Descriptor> {
  const zstd = layers.some((l) => l.mediaType === MediaType.ociLayerZstd);
  const doc = zstd
    ? {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { ...config, mediaType: MediaType.ociConfig },
        layers: layers.map((l) => ({ ...l, mediaType: ociLayerType(l.mediaType) })),
      }
    : { schemaVersion: 2, mediaType: MediaType.dockerManifest, config, layers };
  const bytes = Buffer.from(JSON.stringify(doc, null, 3));
  const written = await content.write(bytes);
  return { mediaType: doc.mediaType, digest: written.digest, size: written.size };
}

/** The OCI layer media type matching a Docker one (same bytes). */
export function ociLayerType(mediaType: string): string {
  if (mediaType === MediaType.dockerLayer) return MediaType.ociLayer;
  if (mediaType === MediaType.dockerLayerGzip || mediaType === MediaType.dockerForeignLayerGzip) {
    return MediaType.ociLayerGzip;
  }
  return mediaType;
}

/** `blobs/sha256/<hex>` and legacy `<hex>.json` name their content's digest. */
function digestInName(path: string): Digest | undefined {
  const match = /^(?:\.\/)?(?:blobs\/sha256\/([a-f0-9]{64})|([a-f0-9]{64})\.json)$/.exec(path);
  const hex = match?.[1] ?? match?.[2];
  return hex ? `sha256:${hex}` : undefined;
}

async function head(content: ContentStore, digest: Digest): Promise<Buffer> {
  const stream = await content.read(digest);
  try {
    for await (const chunk of stream) return Buffer.from(chunk).subarray(0, 8);
    return Buffer.alloc(0);
  } finally {
    stream.destroy();
  }
}
