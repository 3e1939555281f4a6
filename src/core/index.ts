export type { BerthErrorOptions, ErrorCategory, SyscallErrorOptions } from './errors.ts';
export { asBerthError, BerthError, isErrno, SyscallError } from './errors.ts';
export type { LogFields, Logger, LoggerOptions, LogLevel } from './log.ts';
export { createLogger } from './log.ts';
export type { BerthPaths } from './paths.ts';
export { defaultPaths } from './paths.ts';
