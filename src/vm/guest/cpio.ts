/** One member of a cpio archive in the kernel's initramfs ("newc") format. */
export type CpioEntry =
  | { kind: 'directory'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

/**
 * Encodes entries as a "newc" cpio archive, owned by root, that the kernel unpacks as an initramfs.
 * Written here rather than by cpio(1) so device nodes need no mknod and no root.
 */
export function encodeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const data = entry.kind === 'file' ? entry.data : Buffer.alloc(0);
    parts.push(...member({ entry, ino: ino++, data }));
  }
  parts.push(...member({ name: TRAILER, ino: 0, mode: 0, data: Buffer.alloc(0) }));
  return Buffer.concat(parts);
}

interface MemberOptions {
  entry?: CpioEntry;
  name?: string;
  ino: number;
  mode?: number;
  data: Buffer;
}

function member(options: MemberOptions): Buffer[] {
  const { entry, data } = options;
  const name = `${options.name ?? entry?.path.replace(/^\/+/, '') ?? ''}\0`;
  const rdev = entry?.kind === 'chardev' ? [entry.major, entry.minor] : [0, 0];
  const fields = [
    options.ino,
    entry ? modeOf(entry) : (options.mode ?? 0),
    0, // uid
    0, // gid
    entry?.kind === 'directory' ? 2 : 1, // nlink
    0, // mtime
    data.length,
    0, // dev major
    0, // dev minor
    rdev[0] ?? 0,
    rdev[1] ?? 0,
    Buffer.byteLength(name),
    0, // check
  ];
  const header = `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}${name}`;
  return [pad(Buffer.from(header, 'latin1')), pad(data)];
}

function modeOf(entry: CpioEntry): number {
  if (entry.kind === 'directory') return S_IFDIR | (entry.mode ?? 0o755);
  if (entry.kind === 'chardev') return S_IFCHR | (entry.mode ?? 0o600);
  return S_IFREG | (entry.mode ?? 0o644);
}

function pad(buffer: Buffer): Buffer {
  const rest = buffer.length % 4;
  return rest === 0 ? buffer : Buffer.concat([buffer, Buffer.alloc(4 - rest)]);
}
