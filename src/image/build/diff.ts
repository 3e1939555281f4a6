// An overlay upper directory as an OCI layer tar: overlay whiteouts (0/0 character devices)
// become `.wh.<name>` files, opaque directories (trusted.overlay.opaque=y) get `.wh..wh..opq`,
// overlay's own bookkeeping xattrs are dropped, hardlinks inside the layer stay hardlinks.

import type { Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type TarEntryHeader, tarEnd, tarHeader, tarPadding } from '../archive/index.ts';
import type { BuildSyscalls } from './syscalls.ts';

const CHUNK = 1024 * 1024;

/** True when the upper directory holds nothing: the step changed no file. */
export async function isEmptyDiff(upper: string): Promise<boolean> {
  return (await readdir(upper)).length === 0;
}

/** Streams the layer tar of `upper`, entries sorted, parents before children. */
export async function* diffTar(upper: string, sys: BuildSyscalls): AsyncGenerator<Buffer> {
  const links = new Map<string, string>();
  yield* walk({ upper, sys, links }, '');
  yield tarEnd();
}

interface Walk {
  upper: string;
  sys: BuildSyscalls;
  /** dev:ino → first path, for hardlinks. */
  links: Map<string, string>;
}

async function* walk(w: Walk, dir: string): AsyncGenerator<Buffer> {
  for (const name of (await readdir(join(w.upper, dir))).sort()) {
    const rel = dir === '' ? name : `${dir}/${name}`;
    const host = join(w.upper, rel);
    const stats = await lstat(host);
    if (stats.isCharacterDevice() && stats.rdev === 0) {
      yield tarHeader({
        name: dir === '' ? `.wh.${name}` : `${dir}/.wh.${name}`,
        type: 'file',
        size: 0,
        mode: 0o600,
        mtime: seconds(stats),
      });
      continue;
    }
    if (stats.isSocket()) continue;
    const header = await headerFor(w, rel, host, stats);
    yield tarHeader(header);
    if (header.type === 'file') yield* fileBody(host, stats.size);
    if (stats.isDirectory()) {
      if (w.sys.getXattr(host, 'trusted.overlay.opaque')?.toString() === 'y') {
        yield tarHeader({
          name: `${rel}/.wh..wh..opq`,
          type: 'file',
          size: 0,
          mode: 0o600,
          mtime: seconds(stats),
        });
      }
      yield* walk(w, rel);
    }
  }
}

async function headerFor(w: Walk, rel: string, host: string, stats: Stats): Promise<TarEntryHeader> {
  const base = {
    name: rel,
    mode: stats.mode & 0o7777,
    uid: stats.uid,
    gid: stats.gid,
    mtime: seconds(stats),
    xattrs: xattrsOf(w.sys, host),
  };
  if (stats.isDirectory()) return { ...base, type: 'dir' };
  if (stats.isSymbolicLink()) return { ...base, type: 'symlink', linkname: await readlink(host) };
  if (stats.isFIFO()) return { ...base, type: 'fifo' };
  if (stats.isCharacterDevice() || stats.isBlockDevice()) {
    const type = stats.isCharacterDevice() ? 'char' : 'block';
    return { ...base, type, devmajor: major(stats.rdev), devminor: minor(stats.rdev) };
  }
  if (stats.nlink > 1) {
    const key = `${stats.dev}:${stats.ino}`;
    const first = w.links.get(key);
    if (first !== undefined) return { ...base, type: 'hardlink', linkname: first };
    w.links.set(key, rel);
  }
  return { ...base, type: 'file', size: stats.size };
}

/** The entry's xattrs, without overlayfs's own (`trusted.overlay.*`: opaque, origin, impure…). */
function xattrsOf(sys: BuildSyscalls, host: string): Record<string, Buffer> | undefined {
  const out: Record<string, Buffer> = {};
  for (const name of sys.listXattrs(host)) {
    if (name.startsWith('trusted.overlay.')) continue;
    const value = sys.getXattr(host, name);
    if (value !== undefined) out[name] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

async function* fileBody(host: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(host, 'r');
  try {
    let done = 0;
    while (done < size) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - done));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, done);
      if (bytesRead === 0) throw new Error(`${host} shrank while it was being archived`);
      done += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
  yield tarPadding(size);
}

function seconds(stats: Stats): number {
  return Math.floor(stats.mtimeMs / 1000);
}

function major(rdev: number): number {
  return ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & ~0xff & 0xfffff);
}
