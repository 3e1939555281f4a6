// The files of an archive as the loaders see them: small JSON documents by path, and blobs by
// path, already verified into the content store. One implementation streams a tar (each blob goes
// into the store as it passes), the other reads a directory (an OCI layout on disk).
import { createReadStream } from 'node:fs';
import { lstat, readFile, realpath } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { isErrno } from '../../core/index.ts';
import { type ContentStore, type Digest, digestMismatch } from '../content/index.ts';
import { invalidArchive, memberPath, unsafePath } from './errors.ts';
import { readTar } from './tar-read.ts';

/** Small documents (manifest.json, index.json, configs) are read whole; larger ones are refused. */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

export interface StoredBlob {
  digest: Digest;
  size: number;
}

export interface ExpectedFile {
  digest?: Digest;
  size?: number;
  /** Names the file in errors, e.g. `layer 2 of busybox:latest`. */
  what: string;
}

/** Read access to an archive's files; every path is relative to the archive's root. */
export interface ArchiveFiles {
  readonly what: string;
  /** The bytes of a small file, or undefined when it is not in the archive. */
  document(path: string): Promise<Buffer | undefined>;
  /** A file as a verified blob in the content store, or undefined when it is not in the archive. */
  blob(path: string, expected: ExpectedFile): Promise<StoredBlob | undefined>;
  /** The bytes of a small blob already verified into the content store. */
  stored(digest: Digest): Promise<Buffer>;
}

/** The blob path of a digest in an OCI layout (`blobs/sha256/<hex>`). */
export function blobPath(digest: Digest): string {
  return `blobs/${digest.replace(':', '/')}`;
}

export interface TarIngestOptions {
  what: string;
  content: ContentStore;
  onBlob?: (blob: StoredBlob & { path: string }) => void;
}

/**
 * Streams a tar once: `blobs/sha256/<hex>` members are verified against their names as they are
 * written, other large members (legacy `layer.tar`) are stored under the digest computed, and
 * small top-level files stay in memory. Links are recorded and resolved inside the archive.
 */
export async function ingestTar(
  source: AsyncIterable<Uint8Array>,
  options: TarIngestOptions,
): Promise<ArchiveFiles> {
  const { what, content } = options;
  const blobs = new Map<string, StoredBlob>();
  const documents = new Map<string, Buffer>();
  const links = new Map<string, string>();
  for await (const member of readTar(source, { what })) {
    const path = memberPath(member.name, what);
    if (member.type === 'symlink') links.set(path, linkTarget(path, member.linkname, what));
    if (member.type === 'hardlink') links.set(path, memberPath(member.linkname, what));
    if (member.type !== 'file' || path === '' || isLegacyMetadata(path)) continue;
    if (!path.includes('/') && member.size <= MAX_DOCUMENT_BYTES && !path.endsWith('.tar')) {
      documents.set(path, await collect(member.body));
      continue;
    }
    const named = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
    const digest = named ? (`sha256:${named[1]}` as Digest) : undefined;
    const written = await content.write(member.body, { digest, size: member.size, what: `${what}: ${path}` });
    blobs.set(path, { digest: written.digest, size: written.size });
    options.onBlob?.({ path, digest: written.digest, size: written.size });
  }
  const resolve = (path: string): string => {
    let current = memberPath(path, what);
    for (let hops = 0; links.has(current); hops++) {
      if (hops > 16) throw invalidArchive(what, `too many links resolving '${path}'`);
      current = links.get(current)!;
    }
    return current;
  };
  return {
    what,
    async document(path) {
      const target = resolve(path);
      const bytes = documents.get(target);
      if (bytes) return bytes;
      const blob = blobs.get(target);
      if (!blob) return undefined;
      if (blob.size > MAX_DOCUMENT_BYTES) throw tooLarge(what, path, blob.size);
      return content.readBytes(blob.digest, MAX_DOCUMENT_BYTES);
    },
    async blob(path, expected) {
      const target = resolve(path);
      const doc = documents.get(target);
      const stored = doc
        ? await content.write(doc, { digest: expected.digest, what: expected.what })
        : blobs.get(target);
      if (!stored) return undefined;
      checkExpected(stored, expected);
      return { digest: stored.digest, size: stored.size };
    },
    stored: (digest) => content.readBytes(digest, MAX_DOCUMENT_BYTES),
  };
}

/** An archive unpacked on disk (an OCI layout directory, or an extracted docker save). */
export function directoryFiles(root: string, content: ContentStore): ArchiveFiles {
  const what = root;
  const open = async (path: string): Promise<string | undefined> => {
    const full = join(root, memberPath(path, what));
    try {
      const real = await realpath(full);
      const base = await realpath(root);
      if (real !== base && !real.startsWith(base + sep)) throw unsafePath(what, path);
      if (!(await lstat(real)).isFile()) throw invalidArchive(what, `'${path}' is not a regular file`);
      return real;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    }
  };
  return {
    what,
    async document(path) {
      const file = await open(path);
      if (!file) return undefined;
      const { size } = await lstat(file);
      if (size > MAX_DOCUMENT_BYTES) throw tooLarge(what, path, size);
      return readFile(file);
    },
    async blob(path, expected) {
      const file = await open(path);
      if (!file) return undefined;
      const written = await content.write(createReadStream(file), {
        digest: expected.digest,
        size: expected.size,
        what: expected.what,
      });
      return { digest: written.digest, size: written.size };
    },
    stored: (digest) => content.readBytes(digest, MAX_DOCUMENT_BYTES),
  };
}

function checkExpected(stored: StoredBlob, expected: ExpectedFile): void {
  if (expected.digest && stored.digest !== expected.digest) {
    throw digestMismatch({ what: expected.what, expected: expected.digest, actual: stored.digest });
  }
  if (expected.size !== undefined && stored.size !== expected.size) {
    throw invalidArchive(expected.what, `it is ${stored.size} bytes, its descriptor says ${expected.size}`);
  }
}

/** A symlink's target as a path from the archive root; it must stay inside the archive. */
function linkTarget(path: string, target: string, what: string): string {
  if (target.startsWith('/')) throw unsafePath(what, target);
  const parent = dirname(path) === '.' ? '' : dirname(path);
  const joined = [...parent.split('/'), ...target.split('/')].filter((p) => p !== '' && p !== '.');
  const out: string[] = [];
  for (const part of joined) {
    if (part !== '..') out.push(part);
    else if (out.pop() === undefined) throw unsafePath(what, `${path} -> ${target}`);
  }
  return out.join('/');
}

/** Per-layer files of the legacy docker save layout that Berth does not need. */
function isLegacyMetadata(path: string): boolean {
  return /^[^/]+\/(json|VERSION)$/.test(path);
}

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function tooLarge(what: string, path: string, size: number) {
  return invalidArchive(
    what,
    `'${path}' is ${size} bytes, more than the ${MAX_DOCUMENT_BYTES}-byte limit for a manifest or config`,
  );
}
