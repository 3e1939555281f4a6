// One 512-byte tar header block: ustar and GNU layouts, octal and base-256 numbers, checksum.
import { invalidLayer } from './errors.ts';

export const BLOCK = 512;

/** Entry types Berth understands; anything else is rejected with the type named. */
export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** Header records that describe the next entry rather than being one. */
export type MetaType = 'pax' | 'pax-global' | 'gnu-longname' | 'gnu-longlink';

export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: EntryType | MetaType;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

const TYPES: Record<string, EntryType | MetaType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-longname',
  K: 'gnu-longlink',
};

const UNSUPPORTED: Record<string, string> = {
  S: 'GNU sparse files',
  M: 'GNU multi-volume continuation',
  V: 'GNU volume label',
  D: 'GNU dump directories',
  N: 'GNU old long names',
};

/** True when the block is all zero bytes (the end-of-archive marker). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Parses and verifies one header block; `where` names the position for errors. */
export function parseHeader(block: Buffer, where: string): RawHeader {
  verifyChecksum(block, where);
  const flag = String.fromCharCode(block[156] ?? 0);
  const type = TYPES[flag];
  if (type === undefined) {
    const what = UNSUPPORTED[flag] ?? `entry type '${printable(flag)}'`;
    throw invalidLayer(`${what} not supported (${where})`);
  }
  const magic = block.toString('latin1', 257, 263);
  const ustar = magic === 'ustar\0' || magic === 'ustar ';
  let name = cString(block, 0, 100);
  // POSIX ustar splits long names into prefix/name; GNU uses those bytes for atime/ctime instead.
  if (magic === 'ustar\0') {
    const prefix = cString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: number(block, 100, 8, 'mode', where),
    uid: number(block, 108, 8, 'uid', where),
    gid: number(block, 116, 8, 'gid', where),
    size: number(block, 124, 12, 'size', where),
    mtime: number(block, 136, 12, 'mtime', where),
    type,
    linkname: cString(block, 157, 100),
    uname: ustar ? cString(block, 265, 32) : '',
    gname: ustar ? cString(block, 297, 32) : '',
    devmajor: ustar ? number(block, 329, 8, 'devmajor', where) : 0,
    devminor: ustar ? number(block, 337, 8, 'devminor', where) : 0,
  };
}

/** True when `block` is a tar header with a valid checksum (the start of a tar archive). */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < BLOCK || isZeroBlock(block)) return false;
  try {
    verifyChecksum(block, 'first block');
    return true;
  } catch {
    return false;
  }
}

function verifyChecksum(block: Buffer, where: string): void {
  const stored = cString(block, 148, 8).trim();
  if (!/^[0-7]+$/.test(stored)) throw invalidLayer(`header checksum field is not octal (${where})`);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  const want = Number.parseInt(stored, 8);
  // Some old tars summed signed bytes; GNU tar and Go accept both.
  if (want !== unsigned && want !== signed) {
    throw invalidLayer(`header checksum mismatch: stored ${want}, computed ${unsigned} (${where})`);
  }
}

/** Octal text, or GNU base-256 when the top bit of the first byte is set. */
function number(block: Buffer, offset: number, length: number, field: string, where: string): number {
  const first = block[offset] ?? 0;
  if (first & 0x80) return base256(block.subarray(offset, offset + length), field, where);
  const text = cString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text))
    throw invalidLayer(`header field ${field} is not octal: '${printable(text)}' (${where})`);
  const value = Number.parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw invalidLayer(`header field ${field} overflows (${where})`);
  return value;
}

function base256(bytes: Buffer, field: string, where: string): number {
  if ((bytes[0] ?? 0) & 0x40) throw invalidLayer(`header field ${field} is negative (${where})`);
  let value = BigInt((bytes[0] ?? 0) & 0x3f);
  for (let i = 1; i < bytes.length; i++) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw invalidLayer(`header field ${field} overflows (${where})`);
  return Number(value);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function cString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  const stop = end === -1 || end > offset + length ? offset + length : end;
  return decodeName(block.subarray(offset, stop), 'header');
}

/** Decodes a name as UTF-8; Berth paths are strings, so other byte sequences are refused. */
export function decodeName(bytes: Uint8Array, where: string): string {
  for (const byte of bytes) if (byte > 0x7f) return utf8(bytes, where);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function utf8(bytes: Uint8Array, where: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw invalidLayer(`name is not valid UTF-8 (${where})`);
  }
}

/** Makes a string safe to print in an error message. */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
