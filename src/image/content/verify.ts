import { BerthError, diskFullError, isDiskFull } from '../../core/index.ts';
import { type Digest, digestMismatch } from './digest.ts';
import { openSink } from './sink.ts';

/** What a writer expects the content to be; a mismatch stores nothing. */
export interface ExpectedBlob {
  digest?: Digest;
  size?: number;
  /** Names the blob in errors, e.g. `layer sha256:ab… of docker.io/library/busybox`. */
  what?: string;
}

/** A chunk of a blob, or a batch of them in order. */
export type Chunks = Uint8Array | readonly Uint8Array[];

const PROGRESS_STEP = 1024 * 1024;

function byteLength(item: Chunks): number {
  if (item instanceof Uint8Array) return item.byteLength;
  let n = 0;
  for (const chunk of item) n += chunk.byteLength;
  return n;
}

/**
 * Appends `chunks` to the open file `fd`, hashing and counting; checks size and digest at the
 * end. `start` bytes are already in the file (`prefix`, a resumed download) and count for both.
 */
export async function appendVerified(
  fd: number,
  chunks: AsyncIterable<Chunks> | Iterable<Chunks>,
  options: ExpectedBlob & {
    start: number;
    prefix?: string;
    /** The file `fd` writes, named when the disk is full. */
    file?: string;
    onProgress?: (n: number) => void;
  },
): Promise<Digest> {
  const what = options.what ?? `blob ${options.digest ?? ''}`.trim();
  const prefix =
    options.prefix && options.start > 0 ? { path: options.prefix, length: options.start } : undefined;
  const sink = await openSink(fd, prefix);
  let size = options.start;
  let hex: string;
  try {
    let reported = size;
    for await (const item of chunks) {
      size += byteLength(item);
      if (options.size !== undefined && size > options.size)
        throw sizeMismatch(what, options.size, size, true);
      const wait = sink.add(item);
      if (wait) await wait;
      if (size - reported >= PROGRESS_STEP) {
        reported = size;
        options.onProgress?.(size);
      }
    }
    hex = await sink.finish();
  } catch (err) {
    // Keep what arrived before a dropped connection: the next attempt resumes after it. The
    // sink lets go of the file only once its writes are done, so the caller may close it.
    await sink.abandon();
    if (isDiskFull(err)) throw diskFullError(options.file ? `${what} to ${options.file}` : what, err);
    throw err;
  }
  options.onProgress?.(size);
  if (options.size !== undefined && size < options.size) throw truncated(what, options.size, size);
  const digest: Digest = `sha256:${hex}`;
  if (options.digest && digest !== options.digest) {
    throw digestMismatch({ what, expected: options.digest, actual: digest });
  }
  return digest;
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
