import { BerthError } from '../../core/index.ts';
import { type ContentStore, type Digest, digestMismatch, isDigest } from '../content/index.ts';
import type { Descriptor } from '../manifest/index.ts';
import {
  formatReference,
  type ImageReference,
  manifestSelector,
  parseReference,
} from '../reference/index.ts';
import type { ImageRecord, ImageStore } from '../store/index.ts';
import type { Credentials } from './auth.ts';
import { RegistryClient } from './client.ts';
import type { HttpTransport } from './http.ts';
import { runBounded, type TransferProgress } from './progress.ts';
import { pushScopes, type UploadOutcome, uploadBlob } from './upload.ts';

export interface PushOptions {
  /** The image in the store: a name or ID. */
  image: string;
  /** Where to push (default: the image's name `image`). */
  destination?: string;
  content: ContentStore;
  images: ImageStore;
  credentials?: Credentials;
  insecureRegistries?: readonly string[];
  /** Blobs larger than this are sent in PATCH chunks of this many bytes (default 64 MiB). */
  chunkSize?: number;
  concurrency?: number;
  timeoutMs?: number;
  /** HTTP implementation (default node:http/https). */
  transport?: HttpTransport;
  onProgress?: (event: TransferProgress) => void;
  /** Cancels the push: requests are abandoned and no manifest is put; fails with the signal's reason. */
  signal?: AbortSignal;
}

export interface PushResult {
  reference: string;
  /** Digest of the pushed manifest. */
  digest: Digest;
  blobs: { digest: Digest; size: number; outcome: UploadOutcome }[];
}

const DEFAULT_CHUNK = 64 * 1024 * 1024;

/** Pushes an image's blobs (skipping present ones, mounting from a sibling repository) then its manifest. */
export async function pushImage(options: PushOptions): Promise<PushResult> {
  const image = await options.images.get(options.image);
  const ref = parseReference(options.destination ?? options.image);
  const client = new RegistryClient({
    registry: ref.registry,
    credentials: options.credentials,
    insecureRegistries: options.insecureRegistries,
    timeoutMs: options.timeoutMs,
    transport: options.transport,
    signal: options.signal,
  });
  await client.ping();
  const mountFrom = image.sources.find(
    (s) => s.registry === ref.registry && s.repository !== ref.repository,
  )?.repository;
  const blobs = [...image.layers, image.config].filter(
    (d, i, all) => all.findIndex((o) => o.digest === d.digest) === i,
  );
  const results = await runBounded(blobs, options.concurrency ?? 3, async (blob) => {
    const kind = blob.digest === image.config.digest ? 'config' : 'layer';
    const emit = (done: number, status: TransferProgress['status']) =>
      options.onProgress?.({ kind, digest: blob.digest, size: blob.size, done, status });
    emit(0, 'uploading');
    const outcome = await uploadBlob(client, blob, {
      repository: ref.repository,
      content: options.content,
      mountFrom,
      chunkSize: options.chunkSize ?? DEFAULT_CHUNK,
      onProgress: (done) => emit(done, 'uploading'),
    });
    emit(blob.size, outcome === 'uploaded' ? 'done' : outcome);
    return { digest: blob.digest, size: blob.size, outcome };
  });
  options.signal?.throwIfAborted();
  const digest = await putManifest(client, { ref, image, content: options.content });
  await options.images.put({
    ...image,
    names: [],
    repoDigests: [`${ref.registry}/${ref.repository}@${digest}`],
    sources: [{ registry: ref.registry, repository: ref.repository }],
  });
  return { reference: formatReference(ref), digest, blobs: results };
}

async function putManifest(
  client: RegistryClient,
  step: { ref: ImageReference; image: ImageRecord; content: ContentStore },
): Promise<Digest> {
  const manifest: Descriptor = step.image.manifest;
  const bytes = await step.content.readBytes(manifest.digest);
  if (step.ref.digest && step.ref.digest !== manifest.digest) {
    throw new BerthError({
      code: 'ERR_IMAGE_REFERENCE_INVALID',
      category: 'InvalidArgument',
      message: `cannot push ${formatReference(step.ref)}: the image's manifest is ${manifest.digest}`,
    });
  }
  const what = `put manifest ${formatReference(step.ref)}`;
  const reply = await client.ok({
    method: 'PUT',
    path: `${step.ref.repository}/manifests/${manifestSelector(step.ref)}`,
    scopes: pushScopes(step.ref.repository),
    headers: { 'content-type': manifest.mediaType },
    body: () => bytes,
    what,
  });
  await reply.discard();
  const echoed = reply.res.headers.get('docker-content-digest');
  if (isDigest(echoed) && echoed !== manifest.digest) {
    throw digestMismatch({ what, expected: manifest.digest, actual: echoed });
  }
  return manifest.digest;
}
