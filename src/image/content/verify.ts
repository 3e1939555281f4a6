import { writev } from 'node:fs';
import { BerthError } from '../../core/index.ts';
import { type Digest, digestMismatch, type newHasher } from './digest.ts';

/** What a writer expects the content to be; a mismatch stores nothing. */
export interface ExpectedBlob {
  digest?: Digest;
  size?: number;
  /** Names the blob in errors, e.g. `layer sha256:ab… of docker.io/library/busybox`. */
  what?: string;
}

const WRITE_BATCH = 1024 * 1024;

/** Appends `chunks` to the open file `fd`, hashing and counting; checks size and digest at the end. */
export async function appendVerified(
  fd: number,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ExpectedBlob & {
    start: number;
    hasher: ReturnType<typeof newHasher>;
    onProgress?: (n: number) => void;
  },
): Promise<Digest> {
  const what = options.what ?? `blob ${options.digest ?? ''}`.trim();
  let size = options.start;
  // Chunks from the network are ~64 KiB; one writev per MiB saves syscalls and promise turns.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pending.length > 0) await writeAll(fd, pending);
    pending = [];
    pendingBytes = 0;
  };
  try {
    for await (const chunk of chunks) {
      size += chunk.byteLength;
      if (options.size !== undefined && size > options.size)
        throw sizeMismatch(what, options.size, size, true);
      options.hasher.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= WRITE_BATCH) {
        await flush();
        options.onProgress?.(size);
      }
    }
  } catch (err) {
    // Keep what arrived before a dropped connection: the next attempt resumes after it.
    await flush().catch(() => {});
    throw err;
  }
  await flush();
  options.onProgress?.(size);
  if (options.size !== undefined && size < options.size) throw truncated(what, options.size, size);
  const digest: Digest = `sha256:${options.hasher.digest('hex')}`;
  if (options.digest && digest !== options.digest) {
    throw digestMismatch({ what, expected: options.digest, actual: digest });
  }
  return digest;
}

/** writev(2) of every byte of `chunks` at the file's position, retrying short writes. */
async function writeAll(fd: number, chunks: Uint8Array[]): Promise<void> {
  let rest = chunks;
  for (;;) {
    const written = await new Promise<number>((resolve, reject) =>
      writev(fd, rest, (err, n) => (err ? reject(err) : resolve(n))),
    );
    if (written === 0) throw new Error(`writev to fd ${fd} wrote nothing`);
    rest = skipBytes(rest, written);
    if (rest.length === 0) return;
  }
}

function skipBytes(chunks: Uint8Array[], n: number): Uint8Array[] {
  let left = n;
  let i = 0;
  while (i < chunks.length && left >= (chunks[i] as Uint8Array).byteLength)
    left -= (chunks[i++] as Uint8Array).byteLength;
  if (i === chunks.length) return [];
  return [(chunks[i] as Uint8Array).subarray(left), ...chunks.slice(i + 1)];
}

function sizeMismatch(what: string, expected: number, actual: number, atLeast: boolean): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_BLOB_SIZE_MISMATCH',
    category: 'FailedPrecondition',
    message: `${what}: received ${atLeast ? 'at least ' : ''}${actual} bytes, expected ${expected}`,
    hint: 'the source served more bytes than the manifest names; nothing was stored',
  });
}

/** Error for a stream that ended before the expected size; the partial download is kept for resume. */
export function truncated(what: string, expected: number, actual: number): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_BLOB_TRUNCATED',
    category: 'Unavailable',
    message: `${what}: stream ended after ${actual} of ${expected} bytes`,
    hint: 'retry: the download resumes from where it stopped',
  });
}
