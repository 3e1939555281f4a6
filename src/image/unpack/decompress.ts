// Detects a layer's compression from its first bytes and yields the uncompressed tar stream.
import { pipeline, Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { BerthError } from '../../core/index.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const OTHERS: [string, number[]][] = [
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
];

function startsWith(head: Buffer, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

/** Names the compression of a layer from at least its first 512 bytes (or all of it if shorter). */
export function detectCompression(head: Buffer): Compression {
  if (startsWith(head, GZIP)) return 'gzip';
  if (startsWith(head, ZSTD)) return 'zstd';
  if (looksLikeTar(head)) return 'none';
  const other = OTHERS.find(([, magic]) => startsWith(head, magic));
  throw new BerthError({
    code: 'ERR_IMAGE_LAYER_COMPRESSION',
    category: 'InvalidArgument',
    message:
      other === undefined
        ? `layer is neither a tar archive nor gzip- or zstd-compressed (first bytes ${head.subarray(0, 8).toString('hex') || 'none'})`
        : `${other[0]}-compressed layers are not supported`,
    hint: 'OCI layers are tar, tar+gzip or tar+zstd; check the blob is a layer and not truncated',
  });
}

function looksLikeTar(head: Buffer): boolean {
  if (head.length < 512) return false;
  const magic = head.toString('latin1', 257, 262);
  if (magic === 'ustar') return true;
  // An empty archive is all zeros; a v7 header has no magic but a valid checksum.
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (head[i] ?? 0);
  const stored = Number.parseInt(head.toString('latin1', 148, 156).replace(/[\0 ]/g, ''), 8);
  return head.subarray(0, 512).every((b) => b === 0) || stored === sum;
}

/** The uncompressed bytes of `source`, with the compression that was detected. */
export async function decompress(
  source: AsyncIterable<Buffer>,
): Promise<{ compression: Compression; stream: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < 512) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    length += next.value.length;
  }
  const compression = detectCompression(Buffer.concat(head));
  async function* all(): AsyncGenerator<Buffer> {
    yield* head;
    if (ended) return;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  if (compression === 'none') return { compression, stream: all() };
  const inflate = compression === 'gzip' ? createGunzip() : createZstdDecompress();
  // Errors of either side surface through iteration of `inflate`.
  pipeline(Readable.from(all(), { objectMode: false }), inflate, () => {});
  return { compression, stream: inflate };
}
