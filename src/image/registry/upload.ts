import { createReadStream } from 'node:fs';
import { BerthError } from '../../core/index.ts';
import type { ContentStore, Digest } from '../content/index.ts';
import type { Descriptor } from '../manifest/index.ts';
import type { RegistryClient } from './client.ts';
import { responseError } from './errors.ts';
import type { HttpResponse } from './http.ts';

/** How a blob reached the registry. */
export type UploadOutcome = 'exists' | 'mounted' | 'uploaded';

export interface UploadOptions {
  repository: string;
  content: ContentStore;
  /** A repository on the same registry that holds the blob, to mount it from instead of uploading. */
  mountFrom?: string;
  /** Blobs larger than this go up in PATCH chunks of this size; smaller ones in one PUT. */
  chunkSize: number;
  onProgress?: (done: number) => void;
}

/** Puts one blob in the registry: skipped when present, mounted when possible, else uploaded. */
export async function uploadBlob(
  client: RegistryClient,
  blob: Descriptor,
  options: UploadOptions,
): Promise<UploadOutcome> {
  const scopes = pushScopes(options.repository);
  if (await blobExists(client, options.repository, blob.digest)) return 'exists';
  const start = await startUpload(client, blob.digest, options);
  if (start === 'mounted') return 'mounted';
  const monolithic = blob.size <= options.chunkSize;
  const location = monolithic ? start : await sendChunks(client, { blob, location: start, options, scopes });
  await finishUpload(client, { location, blob, monolithic, options, scopes });
  return 'uploaded';
}

/** HEAD on the blob: true when the registry already has it. */
export async function blobExists(
  client: RegistryClient,
  repository: string,
  digest: Digest,
): Promise<boolean> {
  const reply = await client.request({
    method: 'HEAD',
    path: `${repository}/blobs/${digest}`,
    scopes: pushScopes(repository),
    what: `check blob ${digest} in ${client.registry}/${repository}`,
  });
  await reply.discard();
  if (reply.res.ok) return true;
  if (reply.res.status === 404) return false;
  throw await responseError(reply.res, `check blob ${digest} in ${client.registry}/${repository}`);
}

/** POST an upload session (with a mount request when a source repository is known). */
async function startUpload(
  client: RegistryClient,
  digest: Digest,
  options: UploadOptions,
): Promise<string | 'mounted'> {
  const query = options.mountFrom ? `?mount=${digest}&from=${encodeURIComponent(options.mountFrom)}` : '';
  const scopes = pushScopes(options.repository);
  if (options.mountFrom) scopes.push(`repository:${options.mountFrom}:pull`);
  const what = `start upload of ${digest} to ${client.registry}/${options.repository}`;
  const reply = await client.ok({
    method: 'POST',
    path: `${options.repository}/blobs/uploads/${query}`,
    scopes,
    what,
  });
  await reply.discard();
  if (reply.res.status === 201 && options.mountFrom) return 'mounted';
  return locationOf(reply.res, what);
}

async function sendChunks(
  client: RegistryClient,
  step: { blob: Descriptor; location: string; options: UploadOptions; scopes: string[] },
): Promise<string> {
  const { blob, options } = step;
  let location = step.location;
  for (let start = 0; start < blob.size; start += options.chunkSize) {
    const end = Math.min(start + options.chunkSize, blob.size) - 1;
    const what = `upload bytes ${start}-${end} of ${blob.digest} to ${client.registry}/${options.repository}`;
    const blobPath = options.content.blobPath(blob.digest);
    const reply = await client.ok({
      method: 'PATCH',
      path: location,
      scopes: step.scopes,
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${start}-${end}`,
        'content-length': String(end - start + 1),
      },
      body: () => fileRange(blobPath, start, end),
      what,
    });
    await reply.discard();
    location = locationOf(reply.res, what);
    options.onProgress?.(end + 1);
  }
  return location;
}

/** PUT `?digest=` closing the session: with the whole blob (monolithic) or empty after chunks. */
async function finishUpload(
  client: RegistryClient,
  step: { location: string; blob: Descriptor; monolithic: boolean; options: UploadOptions; scopes: string[] },
): Promise<void> {
  const url = new URL(await client.url(step.location));
  url.searchParams.set('digest', step.blob.digest);
  const what = `upload ${step.blob.digest} to ${client.registry}/${step.options.repository}`;
  const blobPath = step.options.content.blobPath(step.blob.digest);
  const size = step.monolithic ? step.blob.size : 0;
  const reply = await client.ok({
    method: 'PUT',
    path: url.href,
    scopes: step.scopes,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: size > 0 ? () => fileRange(blobPath, 0, size - 1) : undefined,
    what,
  });
  await reply.discard();
  if (step.monolithic) step.options.onProgress?.(size);
}

async function* fileRange(path: string, start: number, end: number): AsyncGenerator<Uint8Array> {
  yield* createReadStream(path, { start, end });
}

function locationOf(res: HttpResponse, what: string): string {
  const location = res.headers.get('location');
  if (location) return location;
  throw new BerthError({
    code: 'ERR_IMAGE_REGISTRY_REQUEST_FAILED',
    category: 'InvalidArgument',
    message: `${what}: the registry answered ${res.status} without a Location header`,
  });
}

/** Token scopes to push to `repository`. */
export function pushScopes(repository: string): string[] {
  return [`repository:${repository}:pull,push`];
}
