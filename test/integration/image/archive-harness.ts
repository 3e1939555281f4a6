// Helpers for the archive tests: stores in a temp dir and small archive builders.
import { readFile } from 'node:fs/promises';
import { ContentStore, ImageStore } from '../../../src/image/index.ts';
import { run } from './registry-harness.ts';

export interface Stores {
  content: ContentStore;
  images: ImageStore;
}

export function storesIn(dir: string): Stores {
  return { content: ContentStore.forStateDir(dir), images: ImageStore.forStateDir(dir) };
}

/** The uncompressed tar of `dir` (root:root, fixed mtimes, sorted). */
export async function tarOf(dir: string): Promise<Buffer> {
  const { stdout } = await run(
    'tar',
    ['--sort=name', '--owner=0', '--group=0', '--mtime=@0', '-C', dir, '-cf', '-', '.'],
    {
      encoding: 'buffer',
      maxBuffer: 64 << 20,
    },
  );
  return stdout as unknown as Buffer;
}

export async function readJsonFile<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
