export type { Arch, ArchName } from './arch.ts';
export { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT } from './arch.ts';
export type { CompileOptions, SeccompProgram } from './compile.ts';
export { BAD_ARCH_ACTION } from './compile.ts';
export { seccompProfileFor } from './default-profile.ts';
export type { SeccompData } from './evaluate.ts';
export { evaluateFilter } from './evaluate.ts';
export {
  SECCOMP_FILTER_FLAGS,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
} from './rules.ts';

import { DEFAULT_CAPABILITIES } from '../spec/capabilities.ts';
import type { Seccomp } from '../spec/types.ts';
import { type CompileOptions, compile, type SeccompProgram } from './compile.ts';
import { seccompProfileFor } from './default-profile.ts';

/** Compiles an OCI linux.seccomp object to a classic BPF program for seccomp(2). */
export function compileSeccomp(seccomp: Seccomp, options?: CompileOptions): SeccompProgram {
  return compile(seccomp, options);
}

/** Docker's default seccomp profile for amd64, resolved for Docker's default capability set. */
export function defaultSeccompProfile(): Seccomp {
  return seccompProfileFor({ capabilities: DEFAULT_CAPABILITIES });
}
