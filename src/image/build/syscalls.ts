// The kernel calls a build needs beyond node:fs — mounting a step's root filesystem and reading
// the xattrs of its upper dir — through koffi into libc, behind an interface for tests.
import { constants } from 'node:os';
import { failSyscall as fail, lastErrno, libcFunctions } from '../../core/libc.ts';
import { libcMountSyscalls, type MountSyscalls } from '../rootfs/index.ts';

export interface BuildSyscalls extends MountSyscalls {
  /** Names of the extended attributes of `path` (not following a symlink). */
  listXattrs(path: string): string[];
  /** The value of one attribute, or undefined when it is absent. */
  getXattr(path: string, name: string): Buffer | undefined;
}

interface Libc {
  llistxattr: (path: string, list: Buffer | null, size: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer | null, size: number) => number;
}

const load = libcFunctions<Libc>({
  llistxattr: 'intptr_t llistxattr(const char *path, void *list, size_t size)',
  lgetxattr: 'intptr_t lgetxattr(const char *path, const char *name, void *value, size_t size)',
});

/** The real implementation: libc through koffi, loaded on first use. */
export const libcBuildSyscalls: BuildSyscalls = {
  mount: libcMountSyscalls.mount,
  unmount: libcMountSyscalls.unmount,
  listXattrs(path) {
    const size = load().llistxattr(path, null, 0);
    if (size < 0) {
      if (lastErrno() === constants.errno.ENOTSUP) return [];
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
      if (lastErrno() === constants.errno.ENODATA) return undefined;
      fail(`lgetxattr ${name}`, path);
    }
    const buffer = Buffer.alloc(size);
    const got = load().lgetxattr(path, name, buffer, size);
    if (got < 0) fail(`lgetxattr ${name}`, path);
    return buffer.subarray(0, got);
  },
};
