// What a saved archive holds, computed before any byte is written: the blobs (deduplicated) and
// the documents (oci-layout, index.json, manifest.json) for the chosen format.
import type { ContentStore, Digest } from '../content/index.ts';
import { digestOf } from '../content/index.ts';
import { type Descriptor, MediaType, parseManifest } from '../manifest/index.ts';
import { familiarName, parseReference } from '../reference/index.ts';
import type { ImageRecord } from '../store/index.ts';
import { blobPath } from './archive-files.ts';
import { ociLayerType } from './docker-save.ts';

export type ArchiveFormat = 'docker' | 'oci' | 'oci-dir';

/** An image to save and the names to record for it. */
export interface SaveItem {
  record: ImageRecord;
  names: string[];
}

/** A file of the layout: a blob from the store, or bytes computed here. */
export type PlannedFile = { path: string; digest: Digest; size: number } | { path: string; bytes: Buffer };

export interface LayoutPlan {
  /** Blobs first, then the documents that name them. */
  files: PlannedFile[];
}

/**
 * Plans the layout. `docker` is the layout Docker 25 writes: an OCI layout whose manifests are
 * the stored ones, plus manifest.json for `docker load` of any version. `oci` and `oci-dir`
 * rewrite Docker-typed manifests with OCI media types (same config and layer bytes), as
 * umoci requires.
 */
export async function planLayout(
  items: SaveItem[],
  options: { format: ArchiveFormat; content: ContentStore },
): Promise<LayoutPlan> {
  const blobs = new Map<Digest, number>();
  const extraBlobs = new Map<Digest, Buffer>();
  const indexEntries: Descriptor[] = [];
  const dockerEntries: unknown[] = [];
  for (const { record, names } of items) {
    let manifest: Descriptor = record.manifest;
    if (options.format !== 'docker' && record.manifest.mediaType !== MediaType.ociManifest) {
      const bytes = await ociManifestBytes(record, options.content);
      manifest = { mediaType: MediaType.ociManifest, digest: digestOf(bytes), size: bytes.length };
      extraBlobs.set(manifest.digest, bytes);
    } else {
      blobs.set(manifest.digest, manifest.size);
    }
    for (const d of [record.config, ...record.layers]) blobs.set(d.digest, d.size);
    const plain = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
    if (names.length === 0) indexEntries.push(plain);
    for (const name of names) indexEntries.push({ ...plain, annotations: nameAnnotations(name) });
    dockerEntries.push({
      Config: blobPath(record.config.digest),
      RepoTags: names.length > 0 ? names.map((n) => familiarName(parseReference(n))) : null,
      Layers: record.layers.map((l) => blobPath(l.digest)),
    });
  }
  const files: PlannedFile[] = [...blobs].map(([digest, size]) => ({ path: blobPath(digest), digest, size }));
  for (const [digest, bytes] of extraBlobs) files.push({ path: blobPath(digest), bytes });
  const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: indexEntries };
  files.push({ path: 'oci-layout', bytes: json({ imageLayoutVersion: '1.0.0' }) });
  files.push({ path: 'index.json', bytes: json(index) });
  if (options.format === 'docker') files.push({ path: 'manifest.json', bytes: json(dockerEntries) });
  return { files };
}

/** containerd's and Docker's convention: the full name, and the tag alone as OCI's ref.name. */
function nameAnnotations(name: string): Record<string, string> {
  const ref = parseReference(name);
  return {
    'io.containerd.image.name': name,
    'org.opencontainers.image.ref.name': ref.tag ?? 'latest',
  };
}

async function ociManifestBytes(record: ImageRecord, content: ContentStore): Promise<Buffer> {
  const stored = parseManifest(await content.readBytes(record.manifest.digest, 4 * 1024 * 1024));
  const annotations = stored.annotations ? { annotations: stored.annotations } : {};
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: record.config.digest, size: record.config.size },
    layers: record.layers.map((l) => ({
      mediaType: ociLayerType(l.mediaType),
      digest: l.digest,
      size: l.size,
    })),
    ...annotations,
  };
  return json(doc);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
