// A pull-driven streaming tar reader for archives (docker save, OCI layout tars): members come
// out one at a time with their body as an async stream, so a consumer can write a multi-GB layer
// into the content store with back-pressure and never hold it in memory.
import { ByteReader } from './byte-reader.ts';
import { invalidArchive, printable } from './errors.ts';

const BLOCK = 512;

export type TarMemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

/** One archive member; read `body` before asking for the next member, or it is skipped. */
export interface TarMember {
  name: string;
  type: TarMemberType;
  size: number;
  mode: number;
  linkname: string;
  body: AsyncIterable<Buffer>;
}

export interface TarReadLimits {
  /** Largest PAX or GNU long-name record (default 1 MiB). */
  maxMetaBytes: number;
  /** Largest member accepted (default 1 TiB): a bigger size field is corruption, not data. */
  maxMemberBytes: number;
}

const DEFAULT_LIMITS: TarReadLimits = { maxMetaBytes: 1 << 20, maxMemberBytes: 2 ** 40 };

interface Header {
  name: string;
  linkname: string;
  size: number;
  mode: number;
  flag: string;
}

/** Reads tar members from an uncompressed stream; `what` names the archive in errors. */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  options: { what: string; limits?: Partial<TarReadLimits> },
): AsyncGenerator<TarMember> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const reader = new ByteReader(source);
  const what = options.what;
  const pending: { path?: string; linkpath?: string; size?: number } = {};
  try {
    for (;;) {
      const block = await reader.read(BLOCK);
      if (block.length === 0) return; // some writers omit the end marker
      if (block.length < BLOCK) throw truncated(what, reader.position);
      if (isZero(block)) return;
      const header = parseHeader(block, what, reader.position - BLOCK);
      const size = pending.size ?? header.size;
      if (size > limits.maxMemberBytes) {
        throw invalidArchive(
          what,
          `member '${printable(header.name)}' claims ${size} bytes, more than the limit`,
        );
      }
      if ('xgLK'.includes(header.flag)) {
        await readMeta(reader, { header, pending, limits, what });
        continue;
      }
      const member = memberOf(header, pending, size);
      pending.path = pending.linkpath = pending.size = undefined;
      const body = bodyOf(reader, member.type === 'file' ? size : 0, what);
      yield { ...member, body: body.chunks };
      await body.finish();
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (member.type === 'file' && (await reader.skip(padding)) < padding)
        throw truncated(what, reader.position);
      if (member.type !== 'file' && size > 0) await skipExact(reader, size + padding, what);
    }
  } finally {
    await reader.close();
  }
}

function memberOf(header: Header, pending: { path?: string; linkpath?: string }, size: number) {
  const type: TarMemberType =
    header.flag === '0' || header.flag === '\0' || header.flag === '7'
      ? 'file'
      : header.flag === '5'
        ? 'dir'
        : header.flag === '2'
          ? 'symlink'
          : header.flag === '1'
            ? 'hardlink'
            : 'other';
  return {
    name: pending.path ?? header.name,
    linkname: pending.linkpath ?? header.linkname,
    type,
    size: type === 'file' ? size : 0,
    mode: header.mode,
  };
}

function bodyOf(reader: ByteReader, size: number, what: string) {
  let consumed = 0;
  const chunks = (async function* () {
    for await (const piece of reader.stream(size - consumed)) {
      consumed += piece.length;
      yield piece;
    }
    if (consumed < size) throw truncated(what, reader.position);
  })();
  return {
    chunks,
    async finish() {
      await chunks.return(undefined);
      if (consumed < size) await skipExact(reader, size - consumed, what);
    },
  };
}

async function skipExact(reader: ByteReader, n: number, what: string): Promise<void> {
  if ((await reader.skip(n)) < n) throw truncated(what, reader.position);
}

async function readMeta(
  reader: ByteReader,
  step: {
    header: Header;
    pending: { path?: string; linkpath?: string; size?: number };
    limits: TarReadLimits;
    what: string;
  },
): Promise<void> {
  const { header, pending, what } = step;
  if (header.size > step.limits.maxMetaBytes) {
    throw invalidArchive(what, `a ${header.size}-byte tar extended header is larger than the limit`);
  }
  const bytes = await reader.read(header.size);
  if (bytes.length < header.size) throw truncated(what, reader.position);
  await skipExact(reader, (BLOCK - (header.size % BLOCK)) % BLOCK, what);
  if (header.flag === 'L') pending.path = cString(bytes);
  else if (header.flag === 'K') pending.linkpath = cString(bytes);
  else if (header.flag === 'x') Object.assign(pending, parsePax(bytes, what));
}

function parsePax(bytes: Buffer, what: string): { path?: string; linkpath?: string; size?: number } {
  const out: { path?: string; linkpath?: string; size?: number } = {};
  let pos = 0;
  while (pos < bytes.length) {
    const space = bytes.indexOf(0x20, pos);
    const length = Number(bytes.subarray(pos, space).toString('ascii'));
    if (space === -1 || !Number.isSafeInteger(length) || length <= 0 || pos + length > bytes.length) {
      throw invalidArchive(what, 'malformed PAX extended header');
    }
    const record = bytes.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'linkpath') out.linkpath = value;
    else if (key === 'size') {
      const size = Number(value);
      if (!Number.isSafeInteger(size) || size < 0)
        throw invalidArchive(what, `PAX size '${value}' is invalid`);
      out.size = size;
    }
    pos += length;
  }
  return out;
}

/** True when `block` is a tar header with a valid checksum (the start of a tar archive). */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < BLOCK || isZero(block)) return false;
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  return octal(block.subarray(148, 156)) === sum;
}

function parseHeader(block: Buffer, what: string, offset: number): Header {
  const stored = octal(block.subarray(148, 156));
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  if (stored !== sum) {
    throw invalidArchive(what, `bad tar header checksum at byte ${offset} (not a tar archive, or corrupt)`);
  }
  const magic = block.subarray(257, 263).toString('latin1');
  const prefix = magic.startsWith('ustar') ? cString(block.subarray(345, 500)) : '';
  const name = cString(block.subarray(0, 100));
  const size = numeric(block.subarray(124, 136));
  if (!Number.isSafeInteger(size) || size < 0) throw invalidArchive(what, `bad size field at byte ${offset}`);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    linkname: cString(block.subarray(157, 257)),
    size,
    mode: octal(block.subarray(100, 108)),
    flag: String.fromCharCode(block[156]!),
  };
}

/** Octal or GNU base-256 number field. */
function numeric(field: Buffer): number {
  if ((field[0]! & 0x80) === 0) return octal(field);
  let value = field[0]! & 0x7f;
  for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
  return value;
}

function octal(field: Buffer): number {
  const text = cString(field).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function cString(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.subarray(0, nul === -1 ? bytes.length : nul).toString('utf8');
}

function isZero(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function truncated(what: string, offset: number) {
  return invalidArchive(
    what,
    `archive ends early, at byte ${offset}`,
    'the file was cut short; nothing was loaded',
  );
}
