// The two calls Node lacks — mknod and lsetxattr — made in-process through koffi into libc.
import { failSyscall, libcFunctions } from '../../core/libc.ts';

/** Kernel calls the layer applier needs beyond node:fs, behind an interface for tests. */
export interface UnpackSyscalls {
  /** mknod(2): `mode` carries the file type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2): never follows a symlink at `path`. */
  lsetxattr(path: string, name: string, value: Buffer): void;
}

interface Libc {
  mknod: (path: string, mode: number, dev: bigint) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
}

const load = libcFunctions<Libc>({
  mknod: 'int mknod(const char *path, uint32_t mode, uint64_t dev)',
  lsetxattr: 'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
});

function check(result: number, syscall: string, path: string): void {
  if (result !== 0) failSyscall(syscall, path);
}

/** glibc's makedev(3) encoding of a device number. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** The real implementation: libc through koffi, loaded on first use. */
export const libcSyscalls: UnpackSyscalls = {
  mknod(path, mode, major, minor) {
    check(load().mknod(path, mode, makedev(major, minor)), 'mknod', path);
  },
  lsetxattr(path, name, value) {
    check(load().lsetxattr(path, name, value, value.length, 0), `lsetxattr ${name}`, path);
  },
};
