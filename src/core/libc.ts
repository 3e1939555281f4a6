// libc calls Node lacks, made in-process through koffi (DESIGN.md: no tool spawned per call).
// Imported directly, not through core/index.ts: loading koffi is start-up that most commands
// never need, and this module loads it as soon as it is imported.
import { constants } from 'node:os';
import koffi from 'koffi';
import { SyscallError } from './errors.ts';

/**
 * Binds libc functions from their C prototypes the first time the returned function is called,
 * then hands out the same bindings.
 */
export function libcFunctions<T>(prototypes: { [K in keyof T]: string }): () => T {
  let bound: T | undefined;
  return () => {
    if (bound !== undefined) return bound;
    const lib = koffi.load('libc.so.6');
    const entries = Object.entries(prototypes).map(([name, prototype]) => [
      name,
      lib.func(prototype as string),
    ]);
    bound = Object.fromEntries(entries) as T;
    return bound;
  };
}

/** The errno the last libc call on this thread left. */
export function lastErrno(): number {
  return koffi.errno();
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** `ENOENT` for 2; `errno N` for a number Node has no name for. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

/** Throws the SyscallError for the errno the last libc call left. */
export function failSyscall(syscall: string, path?: string): never {
  throw new SyscallError({ syscall, errno: errnoName(lastErrno()), path });
}
