import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { BerthError, SyscallError } from '../../core/index.ts';

/**
 * Everything the managers do to the cgroup filesystem. The real implementation is plain file
 * access; unit tests run the same one against a temp dir laid out like a cgroup tree.
 */
export interface CgroupFs {
  /** Reads a whole interface file. */
  read(path: string): Promise<string>;
  /** One write(2) of `value`; cgroup files take one value per write. */
  write(path: string, value: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Makes one directory; false when it already existed. */
  mkdir(path: string): Promise<boolean>;
  /** Removes one directory; false when it was already gone. */
  rmdir(path: string): Promise<boolean>;
  /** Names of the sub-directories (child cgroups). */
  children(path: string): Promise<string[]>;
}

function errnoOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EIO';
}

/** The cgroup filesystem as the kernel presents it. */
export const nodeCgroupFs: CgroupFs = {
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new SyscallError({ syscall: 'read', errno: errnoOf(err), path, step: 'read', cause: err });
    }
  },
  async write(path, value) {
    try {
      // No O_CREAT: a missing interface file means the kernel lacks the knob.
      await writeFile(path, value, { flag: 'r+' });
    } catch (err) {
      throw writeError(path, value, err);
    }
  },
  async exists(path) {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  },
  async mkdir(path) {
    try {
      await mkdir(path);
      return true;
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') return false;
      throw new SyscallError({ syscall: 'mkdir', errno: errnoOf(err), path, step: 'mkdir', cause: err });
    }
  },
  async rmdir(path) {
    try {
      await rmdir(path);
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw new SyscallError({ syscall: 'rmdir', errno: errnoOf(err), path, step: 'rmdir', cause: err });
    }
  },
  async children(path) {
    try {
      const entries = await readdir(path, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return [];
      throw new SyscallError({ syscall: 'readdir', errno: errnoOf(err), path, step: 'list', cause: err });
    }
  },
};

/** `write 5000000 to /sys/fs/cgroup/memory/berth/x/memory.limit_in_bytes: EBUSY` */
export function writeError(path: string, value: string, cause: unknown): BerthError {
  const errno = errnoOf(cause);
  const syscall = new SyscallError({ syscall: 'write', errno, path, step: `write ${value} to`, cause });
  return new BerthError({
    code: 'ERR_RUNTIME_CGROUP_WRITE',
    category: syscall.category,
    message: syscall.message,
    hint: writeHint(errno),
    cause: syscall,
  });
}

function writeHint(errno: string): string {
  switch (errno) {
    case 'ENOENT':
      return 'this kernel does not offer that cgroup setting; remove it from the resources';
    case 'EBUSY':
      return 'the new limit is below current usage or conflicts with a child cgroup';
    case 'EINVAL':
      return 'the kernel rejected the value; check its range and format';
    case 'ENOSPC':
      return 'cpuset.cpus/mems of the cgroup is empty, or the pids limit is reached';
    default:
      return 'check the value and that the cgroup still exists';
  }
}

/** Is this a failed write because the interface file does not exist? */
export function isMissingFile(err: unknown): boolean {
  const cause = err instanceof BerthError ? err.cause : err;
  return cause instanceof SyscallError ? cause.errno === 'ENOENT' : errnoOf(cause) === 'ENOENT';
}
