// Reads an OCI image layout (oci-layout, index.json, blobs/): every manifest the index names,
// following one level of nested index to this host's platform, with config and layers verified.
import { BerthError } from '../../core/index.ts';
import {
  type Descriptor,
  hostPlatform,
  type ImageManifest,
  parseImageConfig,
  parseManifest,
  selectPlatform,
} from '../manifest/index.ts';
import { type ArchiveFiles, blobPath } from './archive-files.ts';
import { invalidArchive, missingMember } from './errors.ts';
import type { LoadedImage } from './loaded-image.ts';

/** Annotations naming an image in an index.json entry: containerd's full name first, then OCI's. */
export const NAME_ANNOTATIONS = ['io.containerd.image.name', 'org.opencontainers.image.ref.name'] as const;

/** True when the archive has the files of an OCI layout. */
export async function isOciLayout(files: ArchiveFiles): Promise<boolean> {
  return (await files.document('index.json')) !== undefined;
}

/** Every image named by the layout's index.json. */
export async function readOciLayout(files: ArchiveFiles): Promise<LoadedImage[]> {
  const what = files.what;
  const layout = await files.document('oci-layout');
  if (layout) checkLayoutVersion(layout, what);
  const indexBytes = await files.document('index.json');
  if (!indexBytes) throw missingMember(what, 'index.json');
  const index = parseManifest(indexBytes, { what: `${what}: index.json` });
  if (index.kind !== 'index') throw invalidArchive(what, 'index.json is a manifest, not an index');
  const images: LoadedImage[] = [];
  for (const [i, entry] of index.manifests.entries()) {
    images.push(await readEntry(files, entry, `${what}: index.json entry ${i}`));
  }
  return images;
}

async function readEntry(files: ArchiveFiles, entry: Descriptor, what: string): Promise<LoadedImage> {
  const parsed = await readManifest(files, entry, what);
  let manifestDescriptor = entry;
  let manifest: ImageManifest;
  let index: Descriptor | undefined;
  if (parsed.kind === 'index') {
    const chosen = selectPlatform(parsed, hostPlatform());
    const nested = await readManifest(files, chosen, `${what} (${chosen.digest})`);
    if (nested.kind !== 'manifest') throw invalidArchive(what, 'nested indexes are not supported');
    index = { mediaType: parsed.mediaType, digest: entry.digest, size: entry.size };
    manifestDescriptor = chosen;
    manifest = nested;
  } else {
    manifest = parsed;
  }
  const image = await verifyManifest(files, manifest, what);
  const names = NAME_ANNOTATIONS.map((key) => entry.annotations?.[key]).filter((n): n is string => !!n);
  return {
    ...image,
    manifest: {
      mediaType: manifest.mediaType,
      digest: manifestDescriptor.digest,
      size: manifestDescriptor.size,
    },
    ...(index ? { index } : {}),
    names,
  };
}

async function readManifest(files: ArchiveFiles, descriptor: Descriptor, what: string) {
  const blob = await files.blob(blobPath(descriptor.digest), { ...descriptor, what });
  if (!blob) throw missingMember(what, blobPath(descriptor.digest));
  return parseManifest(await files.stored(blob.digest), { contentType: descriptor.mediaType, what });
}

/** Checks the config and every layer are present with the digests and sizes the manifest names. */
export async function verifyManifest(
  files: ArchiveFiles,
  manifest: ImageManifest,
  what: string,
): Promise<Omit<LoadedImage, 'manifest' | 'names'>> {
  for (const [i, descriptor] of [manifest.config, ...manifest.layers].entries()) {
    const label = i === 0 ? `${what} config` : `${what} layer ${i}`;
    const blob = await files.blob(blobPath(descriptor.digest), { ...descriptor, what: label });
    if (!blob) throw missingMember(label, blobPath(descriptor.digest));
  }
  const config = parseImageConfig(await files.stored(manifest.config.digest), `${what} config`);
  if (config.diffIds.length !== manifest.layers.length) {
    throw new BerthError({
      code: 'ERR_IMAGE_CONFIG_INVALID',
      category: 'InvalidArgument',
      message: `${what}: the config lists ${config.diffIds.length} layers, the manifest ${manifest.layers.length}`,
    });
  }
  return { configDescriptor: manifest.config, layers: manifest.layers, config };
}

function checkLayoutVersion(bytes: Buffer, what: string): void {
  let version: unknown;
  try {
    version = JSON.parse(bytes.toString('utf8')).imageLayoutVersion;
  } catch {
    throw invalidArchive(what, 'oci-layout is not JSON');
  }
  if (version !== '1.0.0') throw invalidArchive(what, `oci-layout version '${String(version)}' is not 1.0.0`);
}
