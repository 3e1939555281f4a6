// What a COPY/ADD reads: its source arguments (with wildcards) resolved in the context or in
// another stage's root filesystem, expanded into entries, and hashed for the layer cache.
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { buildError } from '../errors.ts';
import { hasWildcard, type IgnoreMatcher, patternRegex } from './ignore.ts';
import { lstatOrUndefined, resolveInTree, type Tree } from './tree.ts';

/** A tree to copy from, with the context's ignore rules. */
export interface SourceTree extends Tree {
  ignore?: IgnoreMatcher;
}

/** One thing to copy: a file, directory or symlink, never followed. */
export interface SourceEntry {
  /** Path under the destination: '' for a source that is itself a file or symlink. */
  dest: string;
  /** Path on the host. */
  host: string;
  stats: Stats;
  /** Symlink target, for symlinks. */
  link?: string;
}

/** One source argument after resolution: a directory's contents, or a single entry. */
export interface SelectedSource {
  /** Base name the entry gets when copied into a directory. */
  name: string;
  isDir: boolean;
  /** Host path of the resolved source itself. */
  host: string;
  entries: SourceEntry[];
}

/** Resolves every source argument; a missing (or ignored) source is an error naming it. */
export function selectSources(tree: SourceTree, sources: readonly string[]): SelectedSource[] {
  const out: SelectedSource[] = [];
  for (const source of sources) {
    const paths = hasWildcard(source) ? expandGlob(tree, source) : [resolveInTree(tree, source)];
    const found = paths.filter(
      (p) => !isIgnored(tree, p) && lstatOrUndefined(join(tree.root, p)) !== undefined,
    );
    if (found.length === 0 && !(hasWildcard(source) && paths.length > 0)) throw sourceNotFound(source, tree);
    for (const path of found) out.push(select(tree, path));
  }
  return out;
}

/** An ignored directory still counts when a `!` rule may re-include something inside it. */
function isIgnored(tree: SourceTree, path: string): boolean {
  if (path === '' || tree.ignore === undefined || !tree.ignore.ignored(path)) return false;
  return !(tree.ignore.hasExceptions && lstatOrUndefined(join(tree.root, path))?.isDirectory());
}

function select(tree: SourceTree, path: string): SelectedSource {
  const host = join(tree.root, path);
  const stats = lstatOrUndefined(host)!;
  const name = posix.basename(path) || '.';
  if (!stats.isDirectory()) return { name, isDir: false, host, entries: [entry(host, '', stats)] };
  const entries: SourceEntry[] = [];
  walk(tree, path, '', entries);
  return { name, isDir: true, host, entries };
}

/** Children of `path` (depth first, sorted), skipping ignored ones; symlinks are not followed. */
function walk(tree: SourceTree, path: string, dest: string, out: SourceEntry[]): void {
  for (const name of readdirSync(join(tree.root, path)).sort()) {
    const rel = path === '' ? name : `${path}/${name}`;
    const host = join(tree.root, rel);
    const stats = lstatOrUndefined(host);
    if (stats === undefined) continue;
    const ignored = tree.ignore?.ignored(rel) ?? false;
    const childDest = dest === '' ? name : `${dest}/${name}`;
    if (stats.isDirectory()) {
      if (ignored && !tree.ignore?.hasExceptions) continue;
      if (!ignored) out.push(entry(host, childDest, stats));
      walk(tree, rel, childDest, out);
    } else if (!ignored && (stats.isFile() || stats.isSymbolicLink())) {
      out.push(entry(host, childDest, stats));
    }
  }
}

function entry(host: string, dest: string, stats: Stats): SourceEntry {
  return stats.isSymbolicLink() ? { dest, host, stats, link: readlinkSync(host) } : { dest, host, stats };
}

/** Matches a wildcard source component by component (Go's filepath.Match per component). */
function expandGlob(tree: SourceTree, source: string): string[] {
  let current = [''];
  for (const part of source.split('/').filter((c) => c !== '' && c !== '.')) {
    const next: string[] = [];
    for (const dir of current) {
      if (!hasWildcard(part)) {
        next.push(resolveInTree(tree, dir === '' ? part : `${dir}/${part}`));
        continue;
      }
      const base = resolveInTree(tree, dir, { followFinal: true });
      const stats = lstatOrUndefined(join(tree.root, base));
      if (!stats?.isDirectory()) continue;
      const regex = patternRegex(part);
      for (const name of readdirSync(join(tree.root, base)).sort()) {
        if (regex.test(name)) next.push(base === '' ? name : `${base}/${name}`);
      }
    }
    current = next;
  }
  return current;
}

/** sha256 over each entry's destination, type, mode, size, link target and content: the cache input. */
export async function hashSources(selected: readonly SelectedSource[]): Promise<string> {
  const hash = createHash('sha256');
  for (const source of selected) {
    hash.update(`source ${source.name} ${source.isDir}\n`);
    for (const e of source.entries) {
      const type = e.link !== undefined ? 'l' : e.stats.isDirectory() ? 'd' : 'f';
      hash.update(`${e.dest}\0${type}\0${e.stats.mode & 0o7777}\0${e.stats.size}\0${e.link ?? ''}\0`);
      if (type === 'f') hash.update(await fileDigest(e.host));
      hash.update('\n');
    }
  }
  return `sha256:${hash.digest('hex')}`;
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function sourceNotFound(source: string, tree: SourceTree): Error {
  return buildError({
    code: 'ERR_IMAGE_BUILD_SOURCE_NOT_FOUND',
    category: 'NotFound',
    message: `${tree.kind === 'context' ? 'build context' : 'source stage'} has no '${source}'${tree.ignore ? ' (or .dockerignore excludes it)' : ''}`,
    hint: 'check the path (relative to the context directory) and .dockerignore',
  });
}
