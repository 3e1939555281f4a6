// Device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program: what cgroup v2 has instead of
// devices.allow/deny. The kernel runs it on every open/mknod of a device node in the cgroup
// with a struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, where
// access_type = access << 16 | type; return 1 allows, 0 denies (EPERM).
import type { DeviceCgroupRule } from '../spec/index.ts';

const BPF_DEVCG_DEV_BLOCK = 1;
const BPF_DEVCG_DEV_CHAR = 2;
const ACCESS_BITS: Record<string, number> = { m: 1, r: 2, w: 4 };

// Opcodes used (linux/bpf.h): 32-bit loads and ALU, 64-bit mov and jumps.
const LDX_MEM_W = 0x61;
const ALU32_AND_K = 0x54;
const ALU32_RSH_K = 0x74;
const ALU32_MOV_X = 0xbc;
const ALU64_MOV_K = 0xb7;
const JMP_JNE_K = 0x55;
const JMP_JNE_X = 0x5d;
const JMP_JEQ_K = 0x15;
const EXIT = 0x95;

/** One eBPF instruction. */
export interface BpfInstruction {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInstruction => ({
  code,
  dst,
  src,
  off,
  imm,
});

/** The access bits of a rule (`rwm` → 7). */
export function accessBits(access: string | undefined): number {
  return [...(access ?? 'rwm')].reduce((bits, c) => bits | (ACCESS_BITS[c] ?? 0), 0);
}

// r2 = type, r3 = access, r4 = major, r5 = minor.
const PROLOGUE: BpfInstruction[] = [
  insn(LDX_MEM_W, 2, 1, 0, 0),
  insn(ALU32_AND_K, 2, 0, 0, 0xffff),
  insn(LDX_MEM_W, 3, 1, 0, 0),
  insn(ALU32_RSH_K, 3, 0, 0, 16),
  insn(LDX_MEM_W, 4, 1, 4, 0),
  insn(LDX_MEM_W, 5, 1, 8, 0),
];

/**
 * Compiles an ordered rule list (deny-all first, as effectiveDeviceRules returns it) so that the
 * last matching rule decides, like writing them to v1's devices.allow/deny in order. An allow
 * rule matches when it grants every requested access; a deny rule when it covers any of them.
 * Nothing matching means deny.
 */
export function compileDeviceFilter(rules: readonly DeviceCgroupRule[]): BpfInstruction[] {
  const program = [...PROLOGUE];
  for (const rule of [...rules].reverse()) {
    const block = ruleBlock(rule);
    program.push(...block);
    // A rule that matches everything ends the program: the verifier refuses unreachable code.
    if (block.length === 2) return program;
  }
  program.push(insn(ALU64_MOV_K, 0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0));
  return program;
}

// Checks that jump past the end of this rule's block (to the next rule) on mismatch.
function ruleBlock(rule: DeviceCgroupRule): BpfInstruction[] {
  const block: BpfInstruction[] = [];
  const type = rule.type ?? 'a';
  if (type !== 'a')
    block.push(insn(JMP_JNE_K, 2, 0, 0, type === 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  const bits = accessBits(rule.access);
  if (bits !== 7) {
    block.push(insn(ALU32_MOV_X, 1, 3, 0, 0), insn(ALU32_AND_K, 1, 0, 0, bits));
    // allow: every requested bit granted (r1 == r3); deny: any requested bit covered (r1 != 0).
    block.push(rule.allow ? insn(JMP_JNE_X, 1, 3, 0, 0) : insn(JMP_JEQ_K, 1, 0, 0, 0));
  }
  if (rule.major !== undefined && rule.major >= 0) block.push(insn(JMP_JNE_K, 4, 0, 0, rule.major));
  if (rule.minor !== undefined && rule.minor >= 0) block.push(insn(JMP_JNE_K, 5, 0, 0, rule.minor));
  block.push(insn(ALU64_MOV_K, 0, 0, 0, rule.allow ? 1 : 0), insn(EXIT, 0, 0, 0, 0));
  return fixJumps(block);
}

// A mismatch skips to the first instruction after the block (offsets count from the next one).
function fixJumps(block: BpfInstruction[]): BpfInstruction[] {
  return block.map((i, index) => (isJump(i) ? { ...i, off: block.length - index - 1 } : i));
}

function isJump(i: BpfInstruction): boolean {
  return i.code === JMP_JNE_K || i.code === JMP_JNE_X || i.code === JMP_JEQ_K;
}

/** The program as the kernel takes it: 8 bytes an instruction, little-endian. */
export function encodeProgram(program: readonly BpfInstruction[]): Buffer {
  const out = Buffer.alloc(program.length * 8);
  program.forEach((i, n) => {
    out.writeUInt8(i.code, n * 8);
    out.writeUInt8((i.src << 4) | i.dst, n * 8 + 1);
    out.writeInt16LE(i.off, n * 8 + 2);
    out.writeInt32LE(i.imm, n * 8 + 4);
  });
  return out;
}
