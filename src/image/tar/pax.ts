// PAX extended header records: "<length> <key>=<value>\n", repeated.

import { invalidLayer } from './errors.ts';
import { printable } from './header.ts';

/** PAX keys Berth applies; others (comments, charset, vendor keys) are ignored like GNU tar does. */
export interface PaxRecords {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch, fractional part kept. */
  mtime?: number;
  atime?: number;
  xattrs?: Map<string, Buffer>;
}

const XATTR = 'SCHILY.xattr.';

/** Parses one PAX header body; `where` names the entry for errors. */
export function parsePax(body: Buffer, where: string): PaxRecords {
  const out: PaxRecords = {};
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // some writers pad the body with NULs
    const space = body.indexOf(0x20, pos);
    const length = space === -1 ? Number.NaN : Number(body.toString('latin1', pos, space));
    if (!Number.isSafeInteger(length) || length <= space - pos + 1 || pos + length > body.length) {
      throw invalidLayer(`malformed pax record at byte ${pos} (${where})`);
    }
    const record = body.subarray(space + 1, pos + length);
    if (record[record.length - 1] !== 0x0a)
      throw invalidLayer(`pax record not newline-terminated (${where})`);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw invalidLayer(`pax record without key (${where})`);
    const key = record.toString('utf8', 0, equals);
    applyRecord(out, key, record.subarray(equals + 1, record.length - 1), where);
    pos += length;
  }
  return out;
}

function applyRecord(out: PaxRecords, key: string, value: Buffer, where: string): void {
  if (key.startsWith(XATTR)) {
    out.xattrs ??= new Map();
    out.xattrs.set(key.slice(XATTR.length), Buffer.from(value));
    return;
  }
  if (key.startsWith('GNU.sparse.')) throw invalidLayer(`GNU sparse files not supported (${where})`);
  const text = value.toString('utf8');
  switch (key) {
    case 'path':
    case 'linkpath':
      if (text.includes('\0')) throw invalidLayer(`pax ${key} contains a NUL byte (${where})`);
      out[key] = text;
      return;
    case 'uname':
    case 'gname':
      out[key] = text;
      return;
    case 'size':
    case 'uid':
    case 'gid':
      out[key] = integer(key, text, where);
      return;
    case 'mtime':
    case 'atime':
      out[key] = time(key, text, where);
      return;
  }
}

function integer(key: string, text: string, where: string): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw invalidLayer(`pax ${key} is not a valid non-negative integer: '${printable(text)}' (${where})`);
  }
  return value;
}

function time(key: string, text: string, where: string): number {
  const value = /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value))
    throw invalidLayer(`pax ${key} is not a time: '${printable(text)}' (${where})`);
  return value;
}
