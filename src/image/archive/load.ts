import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BerthError } from '../../core/index.ts';
import type { ContentStore, Digest } from '../content/index.ts';
import { normalizePlatform } from '../manifest/index.ts';
import { formatReference, parseReference } from '../reference/index.ts';
import type { ImageRecord, ImageStore } from '../store/index.ts';
import { type ArchiveFiles, directoryFiles, ingestTar } from './archive-files.ts';
import { decompressed } from './compression.ts';
import { entryConfig, readDockerManifest, readDockerSave } from './docker-save.ts';
import { invalidArchive } from './errors.ts';
import type { LoadedImage } from './loaded-image.ts';
import { isOciLayout, readOciLayout } from './oci-layout.ts';

/** What a load or save reports as it goes. */
export type ArchiveProgress =
  | { kind: 'blob'; path: string; digest: Digest; size: number }
  | { kind: 'image'; id: Digest; names: string[] };

export interface LoadOptions {
  /** A tar file (plain, gzip or zstd), an OCI layout directory, or a byte stream such as stdin. */
  input: string | AsyncIterable<Uint8Array>;
  content: ContentStore;
  images: ImageStore;
  onProgress?: (event: ArchiveProgress) => void;
}

export interface LoadResult {
  images: ImageRecord[];
}

/**
 * Loads every image of a docker-save archive or OCI layout: blobs are verified into the content
 * store, then (only when every image checked out) the images are recorded with the archive's tags.
 */
export async function loadImages(options: LoadOptions): Promise<LoadResult> {
  const what = typeof options.input === 'string' ? options.input : 'archive on stdin';
  const files = await openArchive(options, what);
  const found = await resolveImages(files, options.content);
  if (found.length === 0) throw invalidArchive(what, 'it holds no images');
  const records = found.map((image) => recordFor(image, what));
  const stored: ImageRecord[] = [];
  for (const record of records) {
    const put = await options.images.put(record);
    stored.push(put);
    options.onProgress?.({ kind: 'image', id: put.id, names: record.names });
  }
  return { images: stored };
}

async function openArchive(options: LoadOptions, what: string): Promise<ArchiveFiles> {
  const { input, content } = options;
  if (typeof input === 'string' && (await statOrThrow(input)).isDirectory()) {
    return directoryFiles(input, content);
  }
  const source = typeof input === 'string' ? createReadStream(input) : input;
  try {
    const { stream } = await decompressed(source, what);
    return await ingestTar(stream, {
      what,
      content,
      onBlob: (b) => options.onProgress?.({ kind: 'blob', ...b }),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw invalidArchive(what, `decompression failed (${(err as Error).message})`);
    }
    throw err;
  }
}

async function resolveImages(files: ArchiveFiles, content: ContentStore): Promise<LoadedImage[]> {
  const entries = await readDockerManifest(files);
  if (await isOciLayout(files)) {
    const images = await readOciLayout(files);
    // Docker 25+ writes both layouts; its tags are in manifest.json.
    for (const [i, entry] of (entries ?? []).entries()) {
      const config = await entryConfig(files, entry, `${files.what}: manifest.json entry ${i}`);
      const image = images.find((im) => im.configDescriptor.digest === config.digest);
      image?.names.push(...(entry.RepoTags ?? []));
    }
    return images;
  }
  if (entries) return readDockerSave(files, entries, content);
  throw invalidArchive(files.what, 'it has neither manifest.json (docker save) nor index.json (OCI layout)');
}

function recordFor(image: LoadedImage, what: string): ImageRecord {
  const { config } = image;
  const record: ImageRecord = {
    id: image.configDescriptor.digest,
    names: [...new Set(image.names.flatMap((n) => imageName(n, what)))],
    repoDigests: [],
    manifest: image.manifest,
    config: image.configDescriptor,
    layers: image.layers,
    platform: normalizePlatform({
      os: config.os || 'linux',
      architecture: config.architecture || 'amd64',
      ...(config.variant ? { variant: config.variant } : {}),
    }),
    size: image.configDescriptor.size + image.layers.reduce((sum, l) => sum + l.size, 0),
    sources: [],
    added: new Date().toISOString(),
  };
  if (image.index) record.index = image.index;
  if (config.created) record.created = config.created;
  return record;
}

/**
 * The store name for a name found in an archive. A bare word (an OCI `ref.name` such as
 * `latest`) is a tag without a repository and names nothing on its own.
 */
function imageName(name: string, what: string): string[] {
  if (!name.includes(':') && !name.includes('/')) return [];
  try {
    const ref = parseReference(name);
    return ref.digest ? [] : [formatReference(ref)];
  } catch (err) {
    throw invalidArchive(what, `image name '${name.slice(0, 200)}' is invalid (${(err as Error).message})`);
  }
}

async function statOrThrow(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    throw new BerthError({
      code: 'ERR_IMAGE_ARCHIVE_NOT_FOUND',
      category: 'NotFound',
      message: `cannot open archive ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      cause: err,
    });
  }
}
