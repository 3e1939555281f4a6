import { readFileSync, writeFileSync } from 'node:fs';
import { isErrno } from '../../core/index.ts';
import { removeFile } from './atomic.ts';

/** A held lock file; `release` removes it. */
export interface FileLock {
  release(): Promise<void>;
}

/**
 * Takes the lock file `path` (created exclusively, holding our pid). A lock left by a process
 * that no longer exists is taken over. Returns undefined when a live process holds it.
 * The file operations are synchronous: each takes microseconds on the local state directory,
 * where an asynchronous one waits its turn behind every network chunk queued during a pull.
 */
export async function tryLock(path: string): Promise<FileLock | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return { release: async () => removeFile(path) };
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      if (holderAlive(path)) return undefined;
      removeFile(path);
    }
  }
  return undefined;
}

/** Waits (polling) until the lock at `path` is ours; for short critical sections. */
export async function lock(path: string, options: { timeoutMs?: number } = {}): Promise<FileLock> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const held = await tryLock(path);
    if (held) return held;
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function holderAlive(path: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}
