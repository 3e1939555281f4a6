// Path resolution inside a directory tree that must not be left: the build context (any way out
// is an error) or a root filesystem (absolute symlinks and `..` stay at its root, as in a chroot).
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { BerthError, isErrno } from '../../../core/index.ts';
import { contextEscape } from '../errors.ts';

/** A directory COPY reads from or writes to. */
export interface Tree {
  /** `context`: leaving it is an error. `rootfs`: `/` and `..` stop at `root`. */
  kind: 'context' | 'rootfs';
  root: string;
}

const MAX_SYMLINKS = 40;

/**
 * Resolves `path` (relative to the tree, or absolute meaning the same) to a relative path with
 * every symlink in the parent components followed inside the tree; the last component is
 * followed only with `followFinal`. Components that do not exist are kept as written.
 */
export function resolveInTree(tree: Tree, path: string, options: { followFinal?: boolean } = {}): string {
  const pending = components(path);
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      if (done.length > 0) done.pop();
      else if (tree.kind === 'context') throw contextEscape(path, "'..' climbs above the context");
      continue;
    }
    const last = pending.length === 0;
    const stats = lstatOrUndefined(join(tree.root, ...done, name));
    if (stats?.isSymbolicLink() && (!last || options.followFinal)) {
      if (++hops > MAX_SYMLINKS) throw symlinkLoop(path);
      const target = readlinkSync(join(tree.root, ...done, name));
      if (target.startsWith('/')) {
        if (tree.kind === 'context')
          throw contextEscape(path, `symlink ${[...done, name].join('/')} -> ${target} is absolute`);
        done.length = 0;
      }
      pending.unshift(...components(target));
      continue;
    }
    done.push(name);
  }
  return done.join('/');
}

/** `lstat` that answers undefined for a missing path (or one under a non-directory). */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}

function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

function symlinkLoop(path: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_BUILD_SYMLINK_LOOP',
    category: 'InvalidArgument',
    message: `too many levels of symbolic links resolving '${path}'`,
    hint: 'fix the symlink cycle in the build context or the image',
  });
}
