// Resolves entry paths inside the unpack root the way openat2(RESOLVE_IN_ROOT) would: symlinks in
// parent components are followed but can never leave the root (an absolute target or `..` stops
// at the root). It keeps an in-memory model of what this unpack created, so a fresh snapshot
// needs no lstat per entry; anything the model does not know is lstat'ed, never followed.
// Soundness rests on the root being private to the unpack while it runs (snapshots are).
import { lstatSync, mkdirSync, readlinkSync, rmSync } from 'node:fs';
import { isErrno } from '../../core/index.ts';
import { unsafeLayer } from './errors.ts';

export type Node =
  | {
      kind: 'dir';
      created: boolean /** Created empty by this unpack: unknown children do not exist. */;
      fresh: boolean;
    }
  | { kind: 'symlink'; created: boolean; target: string }
  | { kind: 'other'; created: boolean };

const MAX_SYMLINKS = 40; // the kernel's limit (ELOOP)

export class RootModel {
  readonly root: string;
  readonly #nodes = new Map<string, Node>();
  readonly #parents = new Map<string, string>();

  constructor(root: string, fresh: boolean) {
    this.root = root;
    this.#nodes.set('', { kind: 'dir', created: false, fresh });
  }

  /** The absolute path of a resolved relative path. */
  abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /** What is at `rel` (a resolved path), from the model or lstat; undefined when nothing is. */
  lookup(rel: string): Node | undefined {
    const known = this.#nodes.get(rel);
    if (known !== undefined) return known;
    const slash = rel.lastIndexOf('/');
    const parent = this.#nodes.get(slash === -1 ? '' : rel.slice(0, slash));
    if (parent?.kind === 'dir' && parent.fresh) return undefined;
    return this.#observe(rel);
  }

  #observe(rel: string): Node | undefined {
    let node: Node;
    try {
      const st = lstatSync(this.abs(rel));
      if (st.isDirectory()) node = { kind: 'dir', created: false, fresh: false };
      else if (st.isSymbolicLink())
        node = { kind: 'symlink', created: false, target: readlinkSync(this.abs(rel)) };
      else node = { kind: 'other', created: false };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    this.#nodes.set(rel, node);
    return node;
  }

  /** Records what this unpack just created at `rel`. */
  set(rel: string, node: Node): void {
    this.#nodes.set(rel, node);
    if (node.kind === 'symlink') this.#parents.clear();
  }

  /**
   * Resolves the directory that will hold an entry, creating missing directories (0755) like tar
   * does. Returns a root-relative path with no symlink in it.
   */
  resolveDir(parts: string[], entry: string): string {
    const key = parts.join('/');
    const cached = this.#parents.get(key);
    if (cached !== undefined) return cached;
    let dir = '';
    const todo = parts.slice().reverse();
    let links = 0;
    while (todo.length > 0) {
      const part = todo.pop()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
        continue;
      }
      const next = dir === '' ? part : `${dir}/${part}`;
      const node = this.lookup(next) ?? this.#mkdir(next);
      if (node.kind === 'symlink') {
        if (++links > MAX_SYMLINKS)
          throw unsafeLayer(`too many levels of symbolic links under '${key}'`, entry);
        if (node.target.startsWith('/')) dir = '';
        todo.push(...node.target.split('/').reverse());
      } else if (node.kind === 'dir') dir = next;
      else throw unsafeLayer(`parent '${next}' is not a directory`, entry);
    }
    this.#parents.set(key, dir);
    return dir;
  }

  #mkdir(rel: string): Node {
    mkdirSync(this.abs(rel), 0o755);
    const node: Node = { kind: 'dir', created: true, fresh: true };
    this.#nodes.set(rel, node);
    return node;
  }

  /** Removes whatever is at `rel` (recursively, never following symlinks) and forgets it. */
  remove(rel: string): void {
    rmSync(this.abs(rel), { recursive: true, force: true });
    this.forget(rel);
  }

  /** Drops `rel` and everything under it from the model. */
  forget(rel: string): void {
    const prefix = `${rel}/`;
    for (const key of this.#nodes.keys()) if (key === rel || key.startsWith(prefix)) this.#nodes.delete(key);
    this.#parents.clear();
  }

  /** True when this unpack created `rel` (whiteouts in the same layer do not hide it). */
  createdHere(rel: string): boolean {
    return this.#nodes.get(rel)?.created === true;
  }
}
