// Compiles one 64-bit argument comparison. Classic BPF loads 32 bits at a time, so each
// comparison looks at the upper half first and only consults the lower half when the upper
// halves are equal. On a 32-bit ABI the upper half is always zero, so that step is decided here.
import { type BpfProgramBuilder, type Label, NEXT } from './bpf.ts';
import type { ArgCheck } from './rules.ts';

/** Offset of args[0] in struct seccomp_data (after nr, arch and instruction_pointer). */
const OFFSET_ARGS = 16;

type BaseOp = 'eq' | 'masked' | 'gt' | 'ge';

const BASE: Record<ArgCheck['op'], { op: BaseOp; negate: boolean }> = {
  SCMP_CMP_EQ: { op: 'eq', negate: false },
  SCMP_CMP_NE: { op: 'eq', negate: true },
  SCMP_CMP_MASKED_EQ: { op: 'masked', negate: false },
  SCMP_CMP_GT: { op: 'gt', negate: false },
  SCMP_CMP_LE: { op: 'gt', negate: true },
  SCMP_CMP_GE: { op: 'ge', negate: false },
  SCMP_CMP_LT: { op: 'ge', negate: true },
};

export interface ArgCheckLayout {
  check: ArgCheck;
  /** Whether the ABI passes 64-bit arguments. */
  wide: boolean;
  pass: Label;
  fail: Label;
}

/** Emits code that jumps to `pass` when the argument satisfies the check, else to `fail`. */
export function emitArgCheck(b: BpfProgramBuilder, layout: ArgCheckLayout): void {
  const { check } = layout;
  const { op, negate } = BASE[check.op];
  const t = negate ? layout.fail : layout.pass;
  const f = negate ? layout.pass : layout.fail;
  // For MASKED_EQ, `value` is the mask and `valueTwo` the bits expected under it.
  const operand = op === 'masked' ? check.valueTwo : check.value;
  const mask = check.value;
  const hi = { value: high(operand), mask: high(mask) };
  const lo = { value: low(operand), mask: low(mask) };
  const offset = OFFSET_ARGS + 8 * check.index;
  if (layout.wide) {
    b.load(offset + 4);
    if (op === 'masked') b.and(hi.mask);
    if (op === 'gt' || op === 'ge') b.jump('jgt', hi.value, t, NEXT);
    b.jump('jeq', hi.value, NEXT, f);
  } else {
    const upper = narrowUpperHalf(op, hi);
    if (upper !== 'lower') {
      b.goto(upper === 'pass' ? t : f);
      return;
    }
  }
  b.load(offset);
  if (op === 'masked') b.and(lo.mask);
  b.jump(op === 'gt' ? 'jgt' : op === 'ge' ? 'jge' : 'jeq', lo.value, t, f);
}

/** The outcome of the upper-half step when the argument's upper half is zero. */
function narrowUpperHalf(op: BaseOp, hi: { value: number; mask: number }): 'pass' | 'fail' | 'lower' {
  if (op === 'masked') return hi.value === 0 ? 'lower' : 'fail';
  // 0 vs hi.value: equal → decide on the lower half; 0 is never greater, so anything else fails.
  return hi.value === 0 ? 'lower' : 'fail';
}

function high(value: bigint): number {
  return Number((value >> 32n) & 0xffffffffn);
}

function low(value: bigint): number {
  return Number(value & 0xffffffffn);
}
