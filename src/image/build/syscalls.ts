// The kernel calls a build needs beyond node:fs — mounting a step's root filesystem and reading
// the xattrs of its upper dir — through koffi into libc, behind an interface for tests.
import { constants } from 'node:os';
import koffi from 'koffi';
import { SyscallError } from '../../core/index.ts';

export interface BuildSyscalls {
  /** mount(2) with a data string (overlay options). */
  mount(options: { source: string; target: string; type: string; flags: number; data: string }): void;
  /** umount2(2) with MNT_DETACH. */
  unmount(target: string): void;
  /** Names of the extended attributes of `path` (not following a symlink). */
  listXattrs(path: string): string[];
  /** The value of one attribute, or undefined when it is absent. */
  getXattr(path: string, name: string): Buffer | undefined;
}

/** mount(2) flags the build uses. */
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
const MNT_DETACH = 2;

interface Libc {
  mount: (source: string, target: string, type: string, flags: number, data: string) => number;
  umount2: (target: string, flags: number) => number;
  llistxattr: (path: string, list: Buffer | null, size: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer | null, size: number) => number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc !== undefined) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    mount: lib.func(
      'int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)',
    ),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    llistxattr: lib.func('intptr_t llistxattr(const char *path, void *list, size_t size)'),
    lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, void *value, size_t size)'),
  };
  return libc;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));

function fail(syscall: string, path: string): never {
  const errno = koffi.errno();
  throw new SyscallError({ syscall, errno: ERRNO_NAMES.get(errno) ?? `errno ${errno}`, path });
}

/** The real implementation: libc through koffi, loaded on first use. */
export const libcBuildSyscalls: BuildSyscalls = {
  mount({ source, target, type, flags, data }) {
    if (load().mount(source, target, type, flags, data) !== 0) fail(`mount ${type}`, target);
  },
  unmount(target) {
    if (load().umount2(target, MNT_DETACH) !== 0) fail('umount2', target);
  },
  listXattrs(path) {
    const size = load().llistxattr(path, null, 0);
    if (size < 0) {
      if (koffi.errno() === constants.errno.ENOTSUP) return [];
      fail('llistxattr', path);
    }
    if (size === 0) return [];
    const buffer = Buffer.alloc(size);
    const got = load().llistxattr(path, buffer, size);
    if (got < 0) fail('llistxattr', path);
    return buffer.subarray(0, got).toString('utf8').split('\0').filter(Boolean);
  },
  getXattr(path, name) {
    const size = load().lgetxattr(path, name, null, 0);
    if (size < 0) {
      if (koffi.errno() === constants.errno.ENODATA) return undefined;
      fail(`lgetxattr ${name}`, path);
    }
    const buffer = Buffer.alloc(size);
    const got = load().lgetxattr(path, name, buffer, size);
    if (got < 0) fail(`lgetxattr ${name}`, path);
    return buffer.subarray(0, got);
  },
};
