import { randomBytes } from 'node:crypto';
import { closeSync, fsync, openSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { diskFullError, isDiskFull } from '../../core/index.ts';

/** A temp name next to `path` that no other process or call can pick (pid + random). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Flushes a directory's entries, so a rename inside it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  // Opening and closing take microseconds; only the flush is worth a trip to the thread pool.
  const fd = openSync(dir, 'r');
  try {
    await syncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync(2) of an open descriptor, off the main thread. */
export function syncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * Writes `data` to `path` atomically: temp file in the same directory, fsync, rename, fsync
 * the directory. Readers see the old or the new content, never a mix.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // the umask may have narrowed or widened what open() set
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw isDiskFull(err) ? diskFullError(path, err) : err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDirectory(dirname(path));
}
