// Lays an OCI seccomp profile out as a classic BPF program (see docs/design/seccomp.md):
// an architecture check, then per ABI a binary search over system call number ranges whose
// leaves return an action directly or run that call's argument rules in order.
import type { Seccomp } from '../spec/types.ts';
import {
  ARCHES,
  type Arch,
  type ArchName,
  FOREIGN_ARCHES,
  isArchName,
  isKnownSyscall,
  X32_SYSCALL_BIT,
} from './arch.ts';
import { emitArgCheck } from './args.ts';
import { BPF_MAXINSNS, BpfProgramBuilder, NEXT } from './bpf.ts';
import { type CheckedProfile, checkProfile, invalid, type Rule, SECCOMP_RET_KILL_PROCESS } from './rules.ts';

/** A compiled filter, ready for seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog). */
export interface SeccompProgram {
  /** Raw struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k, little-endian, 8 bytes each. */
  filter: Buffer;
  /** SECCOMP_FILTER_FLAG_* bits. */
  flags: number;
  /** Names in the profile that are not system calls of x86_64, i386 or x32 (skipped, like runc). */
  unknownSyscalls: string[];
}

export interface CompileOptions {
  /** The ABI the filter always covers, as libseccomp's native architecture; SCMP_ARCH_X86_64. */
  nativeArch?: string;
}

/** What a process gets when it calls from an ABI the profile does not list. */
export const BAD_ARCH_ACTION = SECCOMP_RET_KILL_PROCESS;

const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const NO_SYSCALL = 0xffffffff;

/** A run of system call numbers [lo, hi] and what happens to it. */
interface Segment {
  lo: number;
  hi: number;
  /** A return value, or the ordered rules of one system call. */
  target: number | Rule[];
}

/** Compiles `seccomp` for the x86 ABIs it lists (plus the native one). */
export function compile(seccomp: Seccomp, options: CompileOptions = {}): SeccompProgram {
  const profile = checkProfile(seccomp);
  const arches = selectArches(seccomp.architectures ?? [], options.nativeArch ?? 'SCMP_ARCH_X86_64');
  const b = new BpfProgramBuilder();
  emitArchDispatch(b, { profile, arches });
  const filter = b.assemble();
  if (filter.length / 8 > BPF_MAXINSNS) {
    throw invalid(
      `compiles to ${filter.length / 8} BPF instructions, more than the kernel's ${BPF_MAXINSNS}`,
    );
  }
  return { filter, flags: profile.flags, unknownSyscalls: unknownNames(profile.rules) };
}

function selectArches(listed: string[], native: string): Set<ArchName> {
  if (!isArchName(native)) throw invalid(`native architecture ${JSON.stringify(native)} is not supported`);
  const arches = new Set<ArchName>([native]);
  for (const [i, name] of listed.entries()) {
    if (isArchName(name)) arches.add(name);
    else if (!FOREIGN_ARCHES.has(name)) {
      throw invalid(`linux.seccomp.architectures[${i}]: unknown architecture ${JSON.stringify(name)}`);
    }
  }
  return arches;
}

function unknownNames(rules: Rule[]): string[] {
  const names = new Set<string>();
  for (const rule of rules) for (const name of rule.names) if (!isKnownSyscall(name)) names.add(name);
  return [...names];
}

interface Layout {
  profile: CheckedProfile;
  arches: Set<ArchName>;
}

function emitArchDispatch(b: BpfProgramBuilder, layout: Layout): void {
  const { arches } = layout;
  const wants64 = arches.has('SCMP_ARCH_X86_64') || arches.has('SCMP_ARCH_X32');
  const wants32 = arches.has('SCMP_ARCH_X86');
  const block64 = b.newLabel();
  const block32 = b.newLabel();
  b.load(OFFSET_ARCH);
  if (wants64) b.jump('jeq', ARCHES.SCMP_ARCH_X86_64.auditArch, block64, NEXT);
  if (wants32) b.jump('jeq', ARCHES.SCMP_ARCH_X86.auditArch, block32, NEXT);
  b.ret(BAD_ARCH_ACTION);
  if (wants64) {
    b.place(block64);
    emit64(b, layout);
  }
  if (wants32) {
    b.place(block32);
    b.load(OFFSET_NR);
    emitAbi(b, { arch: ARCHES.SCMP_ARCH_X86, profile: layout.profile });
  }
}

/** x86_64 and x32 share AUDIT_ARCH_X86_64; x32 call numbers carry X32_SYSCALL_BIT. */
function emit64(b: BpfProgramBuilder, layout: Layout): void {
  const { arches, profile } = layout;
  const x32 = b.newLabel();
  b.load(OFFSET_NR);
  b.jump('jge', X32_SYSCALL_BIT, x32, NEXT);
  if (arches.has('SCMP_ARCH_X86_64')) emitAbi(b, { arch: ARCHES.SCMP_ARCH_X86_64, profile });
  else b.ret(BAD_ARCH_ACTION);
  b.place(x32);
  if (arches.has('SCMP_ARCH_X32')) {
    emitAbi(b, { arch: ARCHES.SCMP_ARCH_X32, profile });
    return;
  }
  // A tracer may set the number to -1 to skip a call: that is no x32 call, so it gets the
  // default action rather than the bad-architecture one (libseccomp does the same).
  const bad = b.newLabel();
  b.jump('jeq', NO_SYSCALL, NEXT, bad);
  b.ret(profile.defaultAction);
  b.place(bad);
  b.ret(BAD_ARCH_ACTION);
}

interface Abi {
  arch: Arch;
  profile: CheckedProfile;
}

/** With the call number in A: dispatch to its action or rules. */
function emitAbi(b: BpfProgramBuilder, abi: Abi): void {
  emitSearch(b, { abi, segments: segmentsFor(abi) });
}

/** Ordered rules per call number, the first match winning, then merged into ranges. */
function segmentsFor(abi: Abi): Segment[] {
  const byNumber = new Map<number, Rule[]>();
  for (const rule of abi.profile.rules) {
    for (const name of rule.names) {
      const nr = abi.arch.syscallNumber(name);
      if (nr === undefined) continue;
      const rules = byNumber.get(nr) ?? [];
      // Rules after an unconditional one can never be reached.
      if (!rules.some((r) => r.args.length === 0)) rules.push(rule);
      byNumber.set(nr, rules);
    }
  }
  const fallback = abi.profile.defaultAction;
  const segments: Segment[] = [];
  const add = (lo: number, hi: number, target: number | Rule[]): void => {
    const last = segments.at(-1);
    if (last && typeof target === 'number' && last.target === target && last.hi + 1 === lo) last.hi = hi;
    else segments.push({ lo, hi, target });
  };
  let cursor = 0;
  for (const nr of [...byNumber.keys()].sort((x, y) => x - y)) {
    if (nr > cursor) add(cursor, nr - 1, fallback);
    const rules = byNumber.get(nr)!;
    add(nr, nr, rules.length === 1 && rules[0]!.args.length === 0 ? rules[0]!.action : rules);
    cursor = nr + 1;
  }
  if (cursor <= NO_SYSCALL) add(cursor, NO_SYSCALL, fallback);
  return segments;
}

/** A balanced binary search on the call number; every leaf is emitted where it is reached. */
function emitSearch(b: BpfProgramBuilder, where: { abi: Abi; segments: Segment[] }): void {
  const { abi, segments } = where;
  if (segments.length === 1) {
    const target = segments[0]!.target;
    if (typeof target === 'number') b.ret(target);
    else emitRules(b, { abi, rules: target });
    return;
  }
  const mid = segments.length >> 1;
  const upper = b.newLabel();
  b.jump('jge', segments[mid]!.lo, upper, NEXT);
  emitSearch(b, { abi, segments: segments.slice(0, mid) });
  b.place(upper);
  emitSearch(b, { abi, segments: segments.slice(mid) });
}

/** One system call's rules in order: all of a rule's comparisons must hold for its action. */
function emitRules(b: BpfProgramBuilder, where: { abi: Abi; rules: Rule[] }): void {
  const wide = where.abi.arch.wideArgs;
  for (const rule of where.rules) {
    const nextRule = b.newLabel();
    for (const check of rule.args) {
      const pass = b.newLabel();
      emitArgCheck(b, { check, wide, pass, fail: nextRule });
      b.place(pass);
    }
    b.ret(rule.action);
    b.place(nextRule);
  }
  b.ret(where.abi.profile.defaultAction);
}
