import { access, mkdir, mkdtemp, readFile, readlink, rm, rmdir, statfs } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../vm/index.ts';
import type { Host } from './check.ts';

/** The real host: the running kernel, the real filesystem, real processes. */
export function realHost(): Host {
  return {
    run: runProcess,
    readFile: (path) => readFile(path, 'utf8'),
    readlink: (path) => readlink(path),
    exists: (path) =>
      access(path).then(
        () => true,
        () => false,
      ),
    kernelRelease: () => release(),
    makeDir: async (path) => {
      await mkdir(path);
    },
    removeDir: (path) => rmdir(path),
    makeTempDir: (parent, prefix) => mkdtemp(join(parent, prefix)),
    removeTree: (path) => rm(path, { recursive: true, force: true }),
    space: async (path) => {
      const s = await statfs(path);
      return { availableBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    },
  };
}
