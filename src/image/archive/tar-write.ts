// Writes ustar headers (with a PAX record when a name or size does not fit), enough for the
// archives and layers Berth produces: deterministic when the caller fixes mtimes and order.

const BLOCK = 512;

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntryHeader {
  name: string;
  type: TarEntryType;
  /** Body length (files only). */
  size?: number;
  mode: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch (default 0, for reproducible output). */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as PAX `SCHILY.xattr.<name>` records. */
  xattrs?: Record<string, Buffer>;
}

const FLAGS: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** The header block(s) for one entry: a PAX record first when the name, link or size needs it. */
export function tarHeader(entry: TarEntryHeader): Buffer {
  const size = entry.type === 'file' ? (entry.size ?? 0) : 0;
  const name = entry.type === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
  const linkname = entry.linkname ?? '';
  const pax: Record<string, string | Buffer> = {};
  if (Buffer.byteLength(name) > 100) pax.path = name;
  if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
  if (size > 0o77777777777) pax.size = String(size);
  for (const id of ['uid', 'gid'] as const) if ((entry[id] ?? 0) > 0o7777777) pax[id] = String(entry[id]);
  for (const [key, value] of Object.entries(entry.xattrs ?? {})) pax[`SCHILY.xattr.${key}`] = value;
  const block = ustarBlock({
    ...entry,
    name,
    linkname,
    size: pax.size ? 0 : size,
    uid: pax.uid ? 0 : entry.uid,
    gid: pax.gid ? 0 : entry.gid,
  });
  if (Object.keys(pax).length === 0) return block;
  const body = paxBody(pax);
  const paxHeader = ustarBlock({
    name: `PaxHeaders/${name.slice(-80)}`,
    type: 'file',
    mode: 0o644,
    size: body.length,
    flag: 'x',
  });
  return Buffer.concat([paxHeader, body, tarPadding(body.length), block]);
}

/** Zero bytes that round a body of `size` bytes up to the next 512-byte block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end-of-archive marker: two zero blocks. */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

function ustarBlock(entry: TarEntryHeader & { flag?: string; size: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(entry.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, entry.mode & 0o7777);
  writeOctal(block, 108, 8, entry.uid ?? 0);
  writeOctal(block, 116, 8, entry.gid ?? 0);
  writeOctal(block, 124, 12, entry.size);
  writeOctal(block, 136, 12, Math.floor(entry.mtime ?? 0));
  block.write(entry.flag ?? FLAGS[entry.type], 156, 'latin1');
  block.write(entry.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 'latin1');
  writeOctal(block, 329, 8, entry.devmajor ?? 0);
  writeOctal(block, 337, 8, entry.devminor ?? 0);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeOctal(block, 148, 8, sum);
  return block;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

/** Encodes PAX records, each prefixed by its own length in decimal (the length counts itself). */
export function paxBody(records: Record<string, string | Buffer>): Buffer {
  const parts = Object.entries(records).map(([key, value]) => {
    const payload = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
    let length = payload.length + 1;
    while (String(length).length + payload.length !== length) length = String(length).length + payload.length;
    return Buffer.concat([Buffer.from(String(length)), payload]);
  });
  return Buffer.concat(parts);
}
