import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../../core/index.ts';

/** A guest kernel image Berth can boot, as set-up unpacks it under `<stateDir>/guest`. */
export interface GuestKernel {
  path: string;
  /** Release read from the bzImage header, e.g. `6.1.0-56-cloud-amd64`. */
  release: string;
  /** The full version string of the header (builder, date). */
  versionString: string;
  /** The kernel's modules, unpacked next to it. */
  modulesDir: string;
}

export type GuestKernelLookup = { found: true; kernel: GuestKernel } | { found: false; reason: string };

// x86 boot protocol: "HdrS" at 0x202; a u16 at 0x20e points (minus 0x200) at the version string.
const HEADER_MAGIC_OFFSET = 0x202;
const VERSION_POINTER_OFFSET = 0x20e;
const HEADER_BYTES = 0x10000;

/** Reads the release and version string out of a bzImage's setup header; undefined if not a bzImage. */
export function parseBzImageVersion(header: Buffer): { release: string; versionString: string } | undefined {
  if (header.length < VERSION_POINTER_OFFSET + 2) return undefined;
  if (header.toString('latin1', HEADER_MAGIC_OFFSET, HEADER_MAGIC_OFFSET + 4) !== 'HdrS') return undefined;
  const start = header.readUInt16LE(VERSION_POINTER_OFFSET) + 0x200;
  if (start >= header.length) return undefined;
  const end = header.indexOf(0, start);
  const versionString = header.toString('latin1', start, end === -1 ? header.length : end).trim();
  const release = versionString.split(/\s+/, 1)[0] ?? '';
  return release ? { release, versionString } : undefined;
}

/** Finds the guest kernel under `<stateDir>/guest/vmlinuz` and checks it is a bzImage. */
export async function findGuestKernel(stateDir: string): Promise<GuestKernelLookup> {
  const dir = join(stateDir, 'guest');
  const path = join(dir, 'vmlinuz');
  let header: Buffer;
  try {
    const file = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(HEADER_BYTES), 0, HEADER_BYTES, 0);
      header = buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { found: false, reason: `no guest kernel at ${path}` };
    return { found: false, reason: `cannot read ${path}: ${(err as Error).message}` };
  }
  const version = parseBzImageVersion(header);
  if (!version) return { found: false, reason: `${path} is not a bzImage kernel` };
  return { found: true, kernel: { path, ...version, modulesDir: join(dir, 'modules') } };
}
