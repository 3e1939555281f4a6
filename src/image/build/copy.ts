// COPY/ADD into a step's mounted root filesystem. Destinations are resolved inside the root
// (an image's symlink cannot send a file to the host), sources were resolved inside the
// context; entries keep their mode and mtime, are owned by root unless --chown, and symlinks
// are copied as symlinks. ADD extracts local tar archives (plain, gzip, zstd).
import { createReadStream } from 'node:fs';
import { chmod, chown, copyFile, lchown, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { DiskFullError, diskFullError, isDiskFull } from '../../core/index.ts';
import { detectCompression, unpackLayer } from '../unpack/index.ts';
import { lstatOrUndefined, resolveInTree, type SelectedSource, type SourceEntry } from './context/index.ts';
import { buildError } from './errors.ts';

export interface CopyRequest {
  rootfs: string;
  sources: SelectedSource[];
  /** Absolute destination inside the image, as written (a trailing `/` means a directory). */
  dest: string;
  /** True when more than one source argument or a wildcard was given. */
  many: boolean;
  owner?: { uid: number; gid: number };
  chmod?: number;
  /** ADD: extract local tar archives into the destination directory. */
  extract: boolean;
}

/** Copies every selected source into the root filesystem. */
export async function copyIntoRootfs(request: CopyRequest): Promise<void> {
  const destIsDir = request.dest.endsWith('/') || isDirInRoot(request.rootfs, request.dest);
  if (request.many && !destIsDir) {
    throw buildError({
      code: 'ERR_IMAGE_BUILD_COPY_DEST',
      message: `copying several sources to '${request.dest}': the destination must be a directory ending in '/'`,
      hint: `write '${request.dest}/'`,
    });
  }
  const times: { host: string; entry: SourceEntry }[] = [];
  for (const source of request.sources) {
    if (source.isDir) {
      await makeDirs(request, request.dest);
      for (const entry of source.entries)
        times.push(...(await copyEntry(request, posix.join(request.dest, entry.dest), entry)));
    } else if (request.extract && (await isTarArchive(source.host))) {
      const dir = await makeDirs(request, request.dest);
      await unpackLayer({
        source: createReadStream(source.host),
        target: dir,
        options: { whiteouts: 'flatten' },
      });
    } else {
      const target = destIsDir ? posix.join(request.dest, source.name) : request.dest;
      await makeDirs(request, posix.dirname(target));
      times.push(...(await copyEntry(request, target, source.entries[0]!)));
    }
  }
  // Directory times last: adding their children changed them.
  for (const { host, entry } of times.reverse()) await utimes(host, entry.stats.atime, entry.stats.mtime);
}

function isDirInRoot(rootfs: string, path: string): boolean {
  const rel = resolveInTree({ kind: 'rootfs', root: rootfs }, path, { followFinal: true });
  return lstatOrUndefined(join(rootfs, rel))?.isDirectory() ?? false;
}

/** mkdir -p inside the root; directories it creates get the --chown owner. Returns the host path. */
async function makeDirs(request: CopyRequest, path: string): Promise<string> {
  const tree = { kind: 'rootfs' as const, root: request.rootfs };
  let current = '';
  for (const part of path.split('/').filter((c) => c !== '' && c !== '.')) {
    current = resolveInTree(tree, `${current}/${part}`, { followFinal: true });
    const host = join(request.rootfs, current);
    const stats = lstatOrUndefined(host);
    if (stats?.isDirectory()) continue;
    if (stats !== undefined) {
      throw buildError({
        code: 'ERR_IMAGE_BUILD_COPY_DEST',
        message: `cannot copy to '${path}': '/${current}' exists and is not a directory`,
      });
    }
    await mkdir(host, { mode: 0o755 }).catch((err) => {
      throw isDiskFull(err) ? diskFullError(`/${current}`, err) : err;
    });
    if (request.owner) await chown(host, request.owner.uid, request.owner.gid);
  }
  return join(request.rootfs, current);
}

/** Copies one entry to `target` (a path in the image); returns directories whose times to set. */
async function copyEntry(
  request: CopyRequest,
  target: string,
  entry: SourceEntry,
): Promise<{ host: string; entry: SourceEntry }[]> {
  try {
    return await copyEntryTo(request, target, entry);
  } catch (err) {
    // Node names the source of a failed copyFile: a full disk must name the destination.
    throw isDiskFull(err) && !(err instanceof DiskFullError) ? diskFullError(target, err) : err;
  }
}

async function copyEntryTo(
  request: CopyRequest,
  target: string,
  entry: SourceEntry,
): Promise<{ host: string; entry: SourceEntry }[]> {
  const host = join(request.rootfs, resolveInTree({ kind: 'rootfs', root: request.rootfs }, target));
  const existing = lstatOrUndefined(host);
  const uid = request.owner?.uid ?? 0;
  const gid = request.owner?.gid ?? 0;
  const mode = request.chmod ?? entry.stats.mode & 0o7777;
  if (entry.stats.isDirectory()) {
    if (existing !== undefined && !existing.isDirectory()) await rm(host, { force: true });
    if (!existing?.isDirectory()) await mkdir(host);
    await chown(host, uid, gid);
    await chmod(host, mode);
    return [{ host, entry }];
  }
  if (existing !== undefined) await rm(host, { recursive: true, force: true });
  if (entry.link !== undefined) {
    await symlink(entry.link, host);
    await lchown(host, uid, gid);
    await lutimes(host, entry.stats.atime, entry.stats.mtime);
    return [];
  }
  await copyFile(entry.host, host);
  await chown(host, uid, gid);
  await chmod(host, mode);
  await utimes(host, entry.stats.atime, entry.stats.mtime);
  return [];
}

/** A tar archive, possibly gzip- or zstd-compressed (what ADD extracts). */
export async function isTarArchive(path: string): Promise<boolean> {
  const head = await readHead(path, 512);
  let compression: string;
  try {
    compression = detectCompression(head);
  } catch {
    return false;
  }
  if (compression === 'none') return true;
  const stream = createReadStream(path).pipe(
    compression === 'gzip' ? createGunzip() : createZstdDecompress(),
  );
  let inner = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      inner = Buffer.concat([inner, chunk as Buffer]);
      if (inner.length >= 512) break;
    }
  } catch {
    return false;
  } finally {
    stream.destroy();
  }
  try {
    return detectCompression(inner.subarray(0, 512)) === 'none';
  } catch {
    return false;
  }
}

async function readHead(path: string, size: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
