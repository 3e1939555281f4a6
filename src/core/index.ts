export type { BerthErrorOptions, ErrorCategory, SyscallErrorOptions } from './errors.ts';
/** A full disk: `isDiskFull(err)` for ENOSPC/EDQUOT, `diskFullError(what, cause)` to report it. */
export {
  asBerthError,
  BerthError,
  DiskFullError,
  diskFullError,
  isDiskFull,
  isErrno,
  SyscallError,
} from './errors.ts';
export type { FileLock } from './file-lock.ts';
/** Pid lock files: `tryLock` returns undefined while a live process holds it, `lock` waits. */
export { breakLock, isLockHeld, lock, processAlive, removeFile, tryLock } from './file-lock.ts';
export type { LogFields, Logger, LoggerOptions, LogLevel } from './log.ts';
export { createLogger } from './log.ts';
export type { MountInfo } from './mountinfo.ts';
/** Parses /proc/self/mountinfo text into one record per mount. */
export { parseMountInfo } from './mountinfo.ts';
export type { BerthPaths } from './paths.ts';
export { defaultPaths } from './paths.ts';
