import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, isErrno, lock } from '../../core/index.ts';
import { type Digest, writeFileAtomic } from '../content/index.ts';
import { formatReference, parseReference } from '../reference/index.ts';
import type { ImageRecord, RemoveOptions, RemoveResult } from './types.ts';

interface StoreFile {
  version: 1;
  images: ImageRecord[];
}

/**
 * Image metadata in one JSON file (`<root>/images.json`), replaced atomically; every change is a
 * read-modify-write under a lock file, so concurrent `berth` processes do not lose updates.
 */
export class ImageStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The image store of a Berth state directory (`<stateDir>/images`). */
  static forStateDir(stateDir: string): ImageStore {
    return new ImageStore(join(stateDir, 'images'));
  }

  /** Every image, newest first. */
  async list(): Promise<ImageRecord[]> {
    const { images } = await this.load();
    return images.sort((a, b) => b.added.localeCompare(a.added));
  }

  /** Finds an image by name (`busybox`, `localhost:5000/a:b`), repo digest, or ID (prefix of at least 4 hex). */
  async find(nameOrId: string): Promise<ImageRecord | undefined> {
    return findIn((await this.load()).images, nameOrId);
  }

  /** Like `find`, but ERR_IMAGE_NOT_FOUND when there is no such image. */
  async get(nameOrId: string): Promise<ImageRecord> {
    const image = await this.find(nameOrId);
    if (!image) throw notFound(nameOrId);
    return image;
  }

  /** Adds or merges an image; its names are taken from any image that held them before. */
  async put(record: ImageRecord): Promise<ImageRecord> {
    return this.update((images) => {
      const existing = images.find((i) => i.id === record.id);
      const merged: ImageRecord = existing
        ? {
            ...record,
            names: union(existing.names, record.names),
            repoDigests: union(existing.repoDigests, record.repoDigests),
            sources: [...existing.sources, ...record.sources].filter(
              (s, i, all) =>
                all.findIndex((o) => o.registry === s.registry && o.repository === s.repository) === i,
            ),
            added: existing.added,
          }
        : record;
      for (const other of images) {
        if (other.id !== record.id) other.names = other.names.filter((n) => !merged.names.includes(n));
      }
      const rest = images.filter((i) => i.id !== record.id);
      return { images: [...rest, merged], result: merged };
    });
  }

  /** Gives the image found by `source` the additional name `target` (normalized). */
  async tag(source: string, target: string): Promise<ImageRecord> {
    const ref = parseReference(target);
    if (ref.digest) {
      throw new BerthError({
        code: 'ERR_IMAGE_REFERENCE_INVALID',
        category: 'InvalidArgument',
        message: `invalid tag target '${target}': a tag cannot include a digest`,
      });
    }
    const image = await this.get(source);
    return this.put({ ...image, names: [formatReference(ref)], repoDigests: [], sources: [] });
  }

  /**
   * Removes a name; the image goes when its last name goes. Given an ID, removes the image,
   * which needs `force` when it still has more than one name.
   */
  async remove(nameOrId: string, options: RemoveOptions = {}): Promise<RemoveResult> {
    return this.update((images) => {
      const image = findIn(images, nameOrId);
      if (!image) throw notFound(nameOrId);
      const name = nameFor(nameOrId);
      const byName = name !== undefined && image.names.includes(name);
      if (byName && image.names.length > 1) {
        image.names = image.names.filter((n) => n !== name);
        return { images, result: { untagged: [name], deleted: [], blobs: [] } };
      }
      if (!byName && image.names.length > 1 && !options.force) {
        throw new BerthError({
          code: 'ERR_IMAGE_IN_USE',
          category: 'Conflict',
          message: `image ${image.id.slice(7, 19)} is referenced by ${image.names.length} names (${image.names.join(', ')})`,
          hint: 'remove it by name, or use --force to remove every name',
        });
      }
      const user = options.usedBy?.(image.id);
      if (user !== undefined) {
        throw new BerthError({
          code: 'ERR_IMAGE_IN_USE',
          category: 'Conflict',
          message: `image ${image.id.slice(7, 19)} (${nameOrId}) is used by running container ${user.slice(0, 12)}`,
          hint: 'stop the container first (it is removed when it exits); removing one of several names only untags',
        });
      }
      const untagged = [...image.names, ...image.repoDigests];
      const blobs = [
        image.manifest,
        image.config,
        ...image.layers,
        ...(image.index ? [image.index] : []),
      ].map((d) => d.digest);
      return { images: images.filter((i) => i !== image), result: { untagged, deleted: [image.id], blobs } };
    });
  }

  /** Every blob digest an image in the store needs (the mark phase of garbage collection). */
  async referencedBlobs(): Promise<Set<Digest>> {
    const marked = new Set<Digest>();
    for (const image of (await this.load()).images) {
      marked.add(image.manifest.digest);
      marked.add(image.config.digest);
      if (image.index) marked.add(image.index.digest);
      for (const layer of image.layers) marked.add(layer.digest);
    }
    return marked;
  }

  /** Runs `fn` while holding the store's lock, so nothing is added during a sweep. */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    const held = await lock(join(this.root, 'images.lock'));
    try {
      return await fn();
    } finally {
      await held.release();
    }
  }

  private async update<T>(
    change: (images: ImageRecord[]) => { images: ImageRecord[]; result: T },
  ): Promise<T> {
    await mkdir(this.root, { recursive: true });
    return this.locked(async () => {
      const file = await this.load();
      const { images, result } = change(file.images);
      const next: StoreFile = { version: 1, images };
      await writeFileAtomic(join(this.root, 'images.json'), `${JSON.stringify(next, null, 2)}\n`);
      return result;
    });
  }

  private async load(): Promise<StoreFile> {
    let text: string;
    try {
      text = await readFile(join(this.root, 'images.json'), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return { version: 1, images: [] };
      throw err;
    }
    let doc: StoreFile | undefined;
    try {
      doc = JSON.parse(text) as StoreFile;
    } catch {
      doc = undefined;
    }
    if (doc?.version !== 1 || !Array.isArray(doc.images)) {
      throw new BerthError({
        code: 'ERR_IMAGE_STORE_CORRUPT',
        category: 'Internal',
        message: `image store ${join(this.root, 'images.json')} is not valid JSON of a known format`,
        hint: 'restore it from a backup, or move it away to start with an empty image store',
      });
    }
    return doc;
  }
}

function findIn(images: ImageRecord[], nameOrId: string): ImageRecord | undefined {
  const name = nameFor(nameOrId);
  if (name !== undefined) {
    const hit = images.find((i) => i.names.includes(name) || i.repoDigests.includes(name));
    if (hit) return hit;
  }
  const hex = nameOrId.startsWith('sha256:') ? nameOrId.slice(7) : nameOrId;
  if (!/^[a-f0-9]{4,64}$/.test(hex)) return undefined;
  const matches = images.filter((i) => i.id.slice(7).startsWith(hex));
  if (matches.length > 1) {
    throw new BerthError({
      code: 'ERR_IMAGE_ID_AMBIGUOUS',
      category: 'InvalidArgument',
      message: `image id prefix '${hex}' matches ${matches.length} images`,
      hint: 'give more digits of the id',
    });
  }
  return matches[0];
}

/** The normalized name for user input, or undefined when it is not a valid reference. */
function nameFor(input: string): string | undefined {
  try {
    return formatReference(parseReference(input));
  } catch {
    return undefined;
  }
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

function notFound(nameOrId: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_NOT_FOUND',
    category: 'NotFound',
    message: `no image '${nameOrId}' in the store`,
    hint: "list images with 'berth images', or pull it with 'berth pull'",
  });
}
