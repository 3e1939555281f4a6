import { pipeline, Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import type { LayerCompression } from '../manifest/index.ts';
import { invalidArchive } from './errors.ts';

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a];
const BZIP2 = [0x42, 0x5a, 0x68];

/** The compression of a stream from its first bytes. */
export function detectCompression(head: Uint8Array): LayerCompression | 'xz' | 'bzip2' {
  const starts = (magic: number[]) => magic.every((b, i) => head[i] === b);
  if (starts(GZIP)) return 'gzip';
  if (starts(ZSTD)) return 'zstd';
  if (starts(XZ)) return 'xz';
  if (starts(BZIP2)) return 'bzip2';
  return 'none';
}

/**
 * Looks at the first bytes of `source` and returns the stream uncompressed (gzip, zstd or
 * plain). xz and bzip2 are refused by name rather than misread as tar.
 */
export async function decompressed(
  source: AsyncIterable<Uint8Array>,
  what: string,
): Promise<{ compression: LayerCompression; stream: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < 6 && !done) {
    const next = await iterator.next();
    if (next.done) done = true;
    else {
      head.push(Buffer.from(next.value));
      length += next.value.byteLength;
    }
  }
  const first = Buffer.concat(head);
  const compression = detectCompression(first);
  if (compression === 'xz' || compression === 'bzip2') {
    await iterator.return?.();
    throw invalidArchive(
      what,
      `it is ${compression}-compressed, which berth does not read`,
      `decompress it first, e.g. '${compression === 'xz' ? 'xz' : 'bzip2'} -dc FILE | berth …'`,
    );
  }
  const rest = (async function* () {
    if (first.length > 0) yield first;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
  })();
  if (compression === 'none') return { compression, stream: rest };
  const inflate = compression === 'gzip' ? createGunzip() : createZstdDecompress();
  // pipeline carries a source error into the inflater, so the reader sees it.
  const stream = pipeline(Readable.from(rest), inflate, () => {});
  return { compression, stream: stream as AsyncIterable<Buffer> };
}
