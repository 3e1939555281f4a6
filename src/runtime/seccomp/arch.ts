// The ABIs an x86_64 kernel reports in seccomp_data.arch, with their system call tables.
import { I386_SYSCALLS } from './syscalls/i386.ts';
import { X32_SYSCALLS } from './syscalls/x32.ts';
import { X86_64_SYSCALLS } from './syscalls/x86_64.ts';

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
/** x32 shares AUDIT_ARCH_X86_64 and marks its system call numbers with this bit. */
export const X32_SYSCALL_BIT = 0x40000000;

export type ArchName = 'SCMP_ARCH_X86_64' | 'SCMP_ARCH_X86' | 'SCMP_ARCH_X32';

export interface Arch {
  name: ArchName;
  auditArch: number;
  /** Whether system call arguments are 64-bit (the upper halves are zero otherwise). */
  wideArgs: boolean;
  /** Number as seen in seccomp_data.nr, or undefined when the ABI has no such call. */
  syscallNumber(name: string): number | undefined;
}

function lookup(table: Readonly<Record<string, number>>, name: string, bit: number): number | undefined {
  return Object.hasOwn(table, name) ? (table[name]! | bit) >>> 0 : undefined;
}

export const ARCHES: Readonly<Record<ArchName, Arch>> = {
  SCMP_ARCH_X86_64: {
    name: 'SCMP_ARCH_X86_64',
    auditArch: AUDIT_ARCH_X86_64,
    wideArgs: true,
    syscallNumber: (name) => lookup(X86_64_SYSCALLS, name, 0),
  },
  SCMP_ARCH_X86: {
    name: 'SCMP_ARCH_X86',
    auditArch: AUDIT_ARCH_I386,
    wideArgs: false,
    syscallNumber: (name) => lookup(I386_SYSCALLS, name, 0),
  },
  SCMP_ARCH_X32: {
    name: 'SCMP_ARCH_X32',
    auditArch: AUDIT_ARCH_X86_64,
    wideArgs: true,
    syscallNumber: (name) => lookup(X32_SYSCALLS, name, X32_SYSCALL_BIT),
  },
};

/**
 * Architectures libseccomp knows but an x86_64 kernel never reports: a profile may list them
 * (profiles are often written for several machines), and they are skipped.
 */
export const FOREIGN_ARCHES: ReadonlySet<string> = new Set([
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
]);

export function isArchName(name: string): name is ArchName {
  return Object.hasOwn(ARCHES, name);
}

/** True when `name` is a system call of any ABI Berth supports. */
export function isKnownSyscall(name: string): boolean {
  return Object.values(ARCHES).some((arch) => arch.syscallNumber(name) !== undefined);
}
