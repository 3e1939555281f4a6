import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError, diskFullError, isDiskFull, isErrno } from '../../core/index.ts';
import { type ContentStore, tempPathFor } from '../content/index.ts';
import { formatReference, parseReference } from '../reference/index.ts';
import type { ImageStore } from '../store/index.ts';
import { type ArchiveFormat, type PlannedFile, planLayout, type SaveItem } from './layout-plan.ts';
import type { ArchiveProgress } from './load.ts';
import { tarEnd, tarHeader, tarPadding } from './tar-write.ts';

export interface SaveOptions {
  /** Names or IDs of the images to save. */
  refs: string[];
  content: ContentStore;
  images: ImageStore;
  format: ArchiveFormat;
  /** A file (tar formats) or directory (`oci-dir`) path, or a stream such as stdout (tar formats). */
  output: string | Writable;
  onProgress?: (event: ArchiveProgress) => void;
}

export interface SaveResult {
  format: ArchiveFormat;
  images: { id: string; names: string[] }[];
  files: number;
  bytes: number;
}

/** Writes images to a docker-save archive or an OCI layout (tar or directory). */
export async function saveImages(options: SaveOptions): Promise<SaveResult> {
  if (options.refs.length === 0) throw new Error('saveImages needs at least one image');
  const items = await resolveItems(options.refs, options.images);
  const plan = await planLayout(items, { format: options.format, content: options.content });
  const bytes = plan.files.reduce((sum, f) => sum + ('bytes' in f ? f.bytes.length : f.size), 0);
  const result = {
    format: options.format,
    images: items.map((i) => ({ id: i.record.id, names: i.names })),
    files: plan.files.length,
    bytes,
  };
  if (options.format === 'oci-dir') {
    if (typeof options.output !== 'string') throw new Error('the oci-dir format needs a directory path');
    await writeDirectory(options.output, plan.files, options);
    return result;
  }
  const chunks = Readable.from(tarChunks(plan.files, options));
  if (typeof options.output !== 'string') {
    await pipeline(chunks, options.output, { end: false }).catch((err) => {
      throw isDiskFull(err) ? diskFullError('the archive to its output stream', err, OUTPUT_HINT) : err;
    });
    return result;
  }
  const temp = tempPathFor(options.output);
  try {
    await pipeline(chunks, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
    const handle = await open(temp, 'r');
    await handle.sync().finally(() => handle.close());
    await rename(temp, options.output);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw isDiskFull(err) ? diskFullError(`the archive ${options.output}`, err, OUTPUT_HINT) : err;
  }
  return result;
}

const OUTPUT_HINT = 'free space where the archive goes, or write it elsewhere';

/** By name: that name is recorded. By ID: every name the image has. */
async function resolveItems(wanted: string[], store: ImageStore): Promise<SaveItem[]> {
  const items: SaveItem[] = [];
  for (const input of wanted) {
    const record = await store.get(input);
    const name = nameOf(input);
    const names = name !== undefined && record.names.includes(name) ? [name] : record.names;
    const existing = items.find((i) => i.record.id === record.id);
    if (existing) existing.names = [...new Set([...existing.names, ...names])];
    else items.push({ record, names });
  }
  return items;
}

function nameOf(input: string): string | undefined {
  try {
    return formatReference(parseReference(input));
  } catch {
    return undefined;
  }
}

async function* tarChunks(files: PlannedFile[], options: SaveOptions): AsyncGenerator<Buffer> {
  const dirs = new Set<string>();
  for (const file of files) {
    for (let dir = dirname(file.path); dir !== '.' && !dirs.has(dir); dir = dirname(dir)) dirs.add(dir);
  }
  for (const dir of [...dirs].sort()) yield tarHeader({ name: dir, type: 'dir', mode: 0o755 });
  for (const file of files) {
    const size = 'bytes' in file ? file.bytes.length : file.size;
    yield tarHeader({ name: file.path, type: 'file', mode: 0o644, size });
    if ('bytes' in file) yield file.bytes;
    else {
      let written = 0;
      for await (const chunk of await options.content.read(file.digest)) {
        written += chunk.length;
        yield chunk as Buffer;
      }
      if (written !== size) throw changedUnderneath(file.path, size, written);
      options.onProgress?.({ kind: 'blob', path: file.path, digest: file.digest, size });
    }
    yield tarPadding(size);
  }
  yield tarEnd();
}

async function writeDirectory(dir: string, files: PlannedFile[], options: SaveOptions): Promise<void> {
  const created = await prepareDirectory(dir);
  try {
    for (const file of files) {
      const path = join(dir, file.path);
      await mkdir(dirname(path), { recursive: true });
      const source = 'bytes' in file ? Readable.from([file.bytes]) : await options.content.read(file.digest);
      await pipeline(source, createWriteStream(path, { flags: 'wx', mode: 0o644 }));
      if (!('bytes' in file)) options.onProgress?.({ kind: 'blob', ...file });
    }
  } catch (err) {
    if (created) await rm(dir, { recursive: true, force: true });
    else for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
    throw isDiskFull(err) ? diskFullError(`the OCI layout ${dir}`, err, OUTPUT_HINT) : err;
  }
}

/** The layout goes into a new or empty directory; returns whether this call created it. */
async function prepareDirectory(dir: string): Promise<boolean> {
  try {
    await mkdir(dir);
    return true;
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
  }
  const entries = await readdir(dir).catch(() => ['?']);
  if (entries.length === 0) return false;
  throw new BerthError({
    code: 'ERR_IMAGE_ARCHIVE_OUTPUT_EXISTS',
    category: 'AlreadyExists',
    message: `cannot write an OCI layout to ${dir}: it exists and is not an empty directory`,
    hint: 'choose a new directory, or remove this one first',
  });
}

function changedUnderneath(path: string, expected: number, actual: number): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_BLOB_SIZE_MISMATCH',
    category: 'Internal',
    message: `blob ${path} in the content store is ${actual} bytes, its manifest says ${expected}`,
    hint: 'the content store is damaged; remove and pull the image again',
  });
}
