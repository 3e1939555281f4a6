import { BerthError } from '../../core/index.ts';
import type { ContentStore } from '../content/index.ts';
import {
  type Descriptor,
  formatPlatform,
  hostPlatform,
  type ImageConfig,
  type ImageManifest,
  normalizePlatform,
  type Platform,
  parseImageConfig,
  parseManifest,
  selectPlatform,
} from '../manifest/index.ts';
import {
  formatReference,
  type ImageReference,
  manifestSelector,
  parseReference,
} from '../reference/index.ts';
import type { ImageRecord, ImageStore } from '../store/index.ts';
import type { Credentials } from './auth.ts';
import { type FetchedManifest, RegistryClient } from './client.ts';
import type { HttpTransport } from './http.ts';
import { runBounded, type TransferProgress } from './progress.ts';

export interface PullOptions {
  reference: string | ImageReference;
  content: ContentStore;
  images: ImageStore;
  /** Platform to select from a multi-platform index (default: this host, linux/amd64). */
  platform?: Platform;
  credentials?: Credentials;
  insecureRegistries?: readonly string[];
  /** Blobs downloaded at once (default 3). */
  concurrency?: number;
  timeoutMs?: number;
  attempts?: number;
  /** HTTP implementation (default node:http/https). */
  transport?: HttpTransport;
  onProgress?: (event: TransferProgress) => void;
  /** Cancels the pull: requests are abandoned and no image is recorded; fails with the signal's reason. */
  signal?: AbortSignal;
}

/** The image a pull resolved to, and the manifests it went through. */
interface ResolvedImage {
  top: FetchedManifest;
  index?: Descriptor;
  manifest: ImageManifest;
  manifestDescriptor: Descriptor;
  /** The manifests fetched on the way (index first), to be stored. */
  fetched: FetchedManifest[];
}

/** Pulls an image: manifest (selecting the platform), config and layers into `content`, recorded in `images`. */
export async function pullImage(options: PullOptions): Promise<ImageRecord> {
  const ref = typeof options.reference === 'string' ? parseReference(options.reference) : options.reference;
  const client = new RegistryClient({
    registry: ref.registry,
    credentials: options.credentials,
    insecureRegistries: options.insecureRegistries,
    timeoutMs: options.timeoutMs,
    attempts: options.attempts,
    transport: options.transport,
    signal: options.signal,
  });
  const wanted = options.platform ?? hostPlatform();
  const resolved = await resolveManifest(client, { ref, wanted });
  const { manifest } = resolved;
  // The manifests are stored while the blobs download, all before the record names them.
  const stored = resolved.fetched.map((fetched) => store(options.content, fetched));
  const downloaded = downloadBlobs(client, { ref, manifest, options });
  await settled([downloaded, ...stored]);
  // Every blob the record names is durable before the record is: one flush of the blob
  // directory for all of this pull's renames (and any another process made).
  await options.content.syncBlobs();
  options.signal?.throwIfAborted();
  return options.images.put(recordFor(ref, resolved, await downloaded));
}

/**
 * Downloads the config and layers not yet in the store, the layers `concurrency` at a time and
 * the small config beside them rather than in one of their slots; the config is parsed and
 * checked as soon as it is there. After a failure no new download starts; the ones running
 * are awaited, then the first failure is thrown.
 */
async function downloadBlobs(
  client: RegistryClient,
  step: { ref: ImageReference; manifest: ImageManifest; options: PullOptions },
): Promise<ImageConfig> {
  const { ref, manifest, options } = step;
  const blobs = uniqueBlobs([manifest.config, ...manifest.layers]);
  for (const blob of blobs) options.onProgress?.(progressOf(blob, manifest, 0, 'waiting'));
  let failed = false;
  const download = async (blob: Descriptor) => {
    if (failed) return;
    const emit = (done: number, status: TransferProgress['status']) =>
      options.onProgress?.(progressOf(blob, manifest, done, status));
    try {
      const written = await client.fetchBlob(ref.repository, blob, {
        store: options.content,
        onProgress: (done) => emit(done, 'downloading'),
      });
      emit(blob.size, written.created ? 'done' : 'exists');
    } catch (err) {
      failed = true;
      throw err;
    }
  };
  const [config, ...layers] = blobs as [Descriptor, ...Descriptor[]];
  const parsed = download(config)
    .then(() => readConfig(options.content, { manifest, ref }))
    .catch((err: unknown) => {
      failed = true;
      throw err;
    });
  await settled([parsed, runBounded(layers, options.concurrency ?? 3, download)]);
  return parsed;
}

async function readConfig(
  content: ContentStore,
  image: { manifest: ImageManifest; ref: ImageReference },
): Promise<ImageConfig> {
  const config = parseImageConfig(await content.readBytes(image.manifest.config.digest, 32 * 1024 * 1024));
  checkConfig(config, image.manifest, image.ref);
  return config;
}

/** Awaits every one of `work`, then throws the first failure, so nothing runs on after a pull fails. */
async function settled(work: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Starts storing a fetched manifest; a failure is held until `settled` awaits it. */
function store(content: ContentStore, fetched: FetchedManifest): Promise<unknown> {
  const writing = content.write(fetched.bytes, { digest: fetched.digest, syncDirectory: false });
  writing.catch(() => {});
  return writing;
}

async function resolveManifest(
  client: RegistryClient,
  step: { ref: ImageReference; wanted: Platform },
): Promise<ResolvedImage> {
  const { ref } = step;
  const name = formatReference(ref);
  const top = await client.getManifest(ref.repository, manifestSelector(ref));
  const parsed = parseManifest(top.bytes, { contentType: top.contentType, what: `manifest of ${name}` });
  const topDescriptor: Descriptor = {
    mediaType: parsed.mediaType,
    digest: top.digest,
    size: top.bytes.byteLength,
  };
  if (parsed.kind === 'manifest') {
    return { top, manifest: parsed, manifestDescriptor: topDescriptor, fetched: [top] };
  }
  const entry = selectPlatform(parsed, step.wanted);
  const fetched = await client.getManifest(ref.repository, entry.digest);
  if (fetched.bytes.byteLength !== entry.size) {
    throw new BerthError({
      code: 'ERR_IMAGE_BLOB_SIZE_MISMATCH',
      category: 'FailedPrecondition',
      message: `manifest ${entry.digest} of ${name} is ${fetched.bytes.byteLength} bytes, its index says ${entry.size}`,
    });
  }
  const manifest = parseManifest(fetched.bytes, {
    contentType: entry.mediaType,
    what: `${formatPlatform(step.wanted)} manifest of ${name}`,
  });
  if (manifest.kind !== 'manifest') {
    throw new BerthError({
      code: 'ERR_IMAGE_MANIFEST_INVALID',
      category: 'InvalidArgument',
      message: `the ${formatPlatform(step.wanted)} entry of ${name} is another index; nested indexes are not supported`,
    });
  }
  return {
    top,
    index: topDescriptor,
    manifest,
    manifestDescriptor: { ...entry, mediaType: manifest.mediaType },
    fetched: [top, fetched],
  };
}

function checkConfig(config: ImageConfig, manifest: ImageManifest, ref: ImageReference): void {
  if (config.diffIds.length === manifest.layers.length) return;
  throw new BerthError({
    code: 'ERR_IMAGE_CONFIG_INVALID',
    category: 'InvalidArgument',
    message: `image ${formatReference(ref)}: its config lists ${config.diffIds.length} layers, its manifest ${manifest.layers.length}`,
  });
}

function recordFor(ref: ImageReference, resolved: ResolvedImage, config: ImageConfig): ImageRecord {
  const { manifest } = resolved;
  const repo = `${ref.registry}/${ref.repository}`;
  const platform = normalizePlatform({
    os: config.os || 'linux',
    architecture: config.architecture || 'amd64',
    ...(config.variant ? { variant: config.variant } : {}),
  });
  const record: ImageRecord = {
    id: manifest.config.digest,
    names: ref.tag === undefined ? [] : [`${repo}:${ref.tag}`],
    repoDigests: [`${repo}@${resolved.top.digest}`],
    manifest: resolved.manifestDescriptor,
    config: manifest.config,
    layers: manifest.layers,
    platform,
    size: manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0),
    sources: [{ registry: ref.registry, repository: ref.repository }],
    added: new Date().toISOString(),
  };
  if (resolved.index) record.index = resolved.index;
  if (config.created) record.created = config.created;
  return record;
}

function uniqueBlobs(descriptors: Descriptor[]): Descriptor[] {
  return descriptors.filter((d, i) => descriptors.findIndex((o) => o.digest === d.digest) === i);
}

function progressOf(
  blob: Descriptor,
  manifest: ImageManifest,
  done: number,
  status: TransferProgress['status'],
): TransferProgress {
  const kind = blob.digest === manifest.config.digest ? 'config' : 'layer';
  return { kind, digest: blob.digest, size: blob.size, done, status };
}
