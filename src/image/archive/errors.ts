import { BerthError } from '../../core/index.ts';

/** The archive is not something Berth can load: malformed, hostile or incomplete. */
export function invalidArchive(what: string, why: string, hint?: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_ARCHIVE_INVALID',
    category: 'InvalidArgument',
    message: `${what}: ${why}`,
    hint:
      hint ?? 'the file is not a docker-save archive or OCI image layout berth can read; nothing was loaded',
  });
}

/** A file the archive's manifest names is not in the archive. */
export function missingMember(what: string, path: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_ARCHIVE_MISSING_BLOB',
    category: 'InvalidArgument',
    message: `${what}: it names '${path}', which is not in the archive`,
    hint: 'the archive is incomplete (cut short, or written by a broken tool); nothing was loaded',
  });
}

/** A member path that is absolute, climbs with `..`, or is otherwise not a plain relative path. */
export function unsafePath(what: string, path: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_ARCHIVE_UNSAFE_PATH',
    category: 'InvalidArgument',
    message: `${what}: path '${printable(path)}' leaves the archive (absolute, '..' or NUL)`,
    hint: 'the archive is hostile or corrupt; nothing was loaded',
  });
}

/** Shows a path from an archive without control characters. */
export function printable(text: string): string {
  const clean = text.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/**
 * Normalizes a path named inside an archive (`./a//b/` → `a/b`); refuses absolute paths, `..`
 * and NUL so nothing named by an archive can point outside it.
 */
export function memberPath(path: string, what: string): string {
  if (path.includes('\0') || path.startsWith('/')) throw unsafePath(what, path);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafePath(what, path);
  return parts.join('/');
}
