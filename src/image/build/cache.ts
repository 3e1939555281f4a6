// The layer cache: a key per filesystem-changing step (parent key, the instruction after
// substitution, its inputs) → the layer it produced. One JSON file, replaced atomically.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isErrno } from '../../core/index.ts';
import { writeFileAtomic } from '../content/index.ts';
import type { Descriptor } from '../manifest/index.ts';

/** What a cached step produced: a layer, or nothing (the step changed no file). */
export interface CachedStep {
  layer: { descriptor: Descriptor; diffId: string } | undefined;
  created: string;
}

interface CacheFile {
  version: 1;
  entries: Record<string, CachedStep>;
}

/** Cache keys → step results, stored in `<stateDir>/build/cache.json`. */
export class BuildCache {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  static forStateDir(stateDir: string): BuildCache {
    return new BuildCache(join(stateDir, 'build', 'cache.json'));
  }

  async get(key: string): Promise<CachedStep | undefined> {
    return (await this.#read()).entries[key];
  }

  async put(key: string, step: CachedStep): Promise<void> {
    const doc = await this.#read();
    doc.entries[key] = step;
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, Buffer.from(JSON.stringify(doc)));
  }

  async #read(): Promise<CacheFile> {
    try {
      const doc = JSON.parse(await readFile(this.file, 'utf8')) as CacheFile;
      if (doc.version === 1 && typeof doc.entries === 'object') return doc;
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !(err instanceof SyntaxError)) throw err;
    }
    // A missing or unreadable cache is an empty one: the build just runs every step.
    return { version: 1, entries: {} };
  }
}

/** The key of a step: a hash of its parent's key and everything that determines its result. */
export function cacheKey(parent: string, parts: unknown): string {
  return `sha256:${createHash('sha256').update(parent).update('\n').update(JSON.stringify(parts)).digest('hex')}`;
}
