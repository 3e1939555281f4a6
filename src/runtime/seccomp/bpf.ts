// A tiny classic-BPF assembler: instructions refer to symbolic labels, and assemble() lays them
// out, turning conditional jumps whose target is more than 255 instructions away into a short
// jump to an unconditional `ja` trampoline (whose offset is 32-bit). Jumps only go forward.

export const BPF_LD_W_ABS = 0x20;
export const BPF_ALU_AND_K = 0x54;
export const BPF_JMP_JA = 0x05;
export const BPF_JMP_JEQ_K = 0x15;
export const BPF_JMP_JGT_K = 0x25;
export const BPF_JMP_JGE_K = 0x35;
export const BPF_RET_K = 0x06;

/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

export type JumpOp = 'jeq' | 'jgt' | 'jge';
export type Label = number;
/** A jump target meaning "the instruction that follows": offset 0. */
export const NEXT: Label = -1;

type Insn =
  | { kind: 'ld'; offset: number }
  | { kind: 'and'; k: number }
  | { kind: 'jmp'; op: JumpOp; k: number; jt: Label; jf: Label }
  | { kind: 'ja'; target: Label }
  | { kind: 'ret'; k: number };

const JUMP_CODES: Record<JumpOp, number> = { jeq: BPF_JMP_JEQ_K, jgt: BPF_JMP_JGT_K, jge: BPF_JMP_JGE_K };

/** Builds a program from instructions and labels; `assemble` resolves the labels. */
export class BpfProgramBuilder {
  private readonly insns: Insn[] = [];
  /** Label → index of the instruction it precedes. */
  private readonly labels: (number | undefined)[] = [];

  newLabel(): Label {
    this.labels.push(undefined);
    return this.labels.length - 1;
  }

  /** Places `label` before the next instruction emitted. */
  place(label: Label): void {
    if (this.labels[label] !== undefined) throw new Error(`bpf label ${label} placed twice`);
    this.labels[label] = this.insns.length;
  }

  load(offset: number): void {
    this.insns.push({ kind: 'ld', offset });
  }

  and(k: number): void {
    this.insns.push({ kind: 'and', k: k >>> 0 });
  }

  jump(op: JumpOp, k: number, jt: Label, jf: Label): void {
    this.insns.push({ kind: 'jmp', op, k: k >>> 0, jt, jf });
  }

  goto(target: Label): void {
    this.insns.push({ kind: 'ja', target });
  }

  ret(k: number): void {
    this.insns.push({ kind: 'ret', k: k >>> 0 });
  }

  /** Lays the program out (adding trampolines where needed) and encodes struct sock_filter[]. */
  assemble(): Buffer {
    const far = this.findFarJumps();
    const addr = this.addresses(far);
    const total = addr[this.insns.length]!;
    const out = Buffer.alloc(total * 8);
    for (const [i, insn] of this.insns.entries()) this.encode(out, { insn, index: i, far: far[i]!, addr });
    return out;
  }

  /** Address of `label` as seen from instruction `from`. */
  private target(label: Label, addr: number[], from: number): number {
    if (label === NEXT) return addr[from + 1]!;
    const index = this.labels[label];
    if (index === undefined) throw new Error(`bpf label ${label} never placed`);
    return addr[index]!;
  }

  /** Start address of every instruction (and of the end), given which jumps use trampolines. */
  private addresses(far: number[]): number[] {
    const addr: number[] = [0];
    for (const [i, insn] of this.insns.entries()) {
      const trampolines = insn.kind === 'jmp' ? popcount(far[i]!) : 0;
      addr.push(addr[i]! + 1 + trampolines);
    }
    return addr;
  }

  /** Per instruction, bit 1 = jt needs a trampoline, bit 2 = jf does; grows until stable. */
  private findFarJumps(): number[] {
    const far = this.insns.map(() => 0);
    for (let changed = true; changed; ) {
      changed = false;
      const addr = this.addresses(far);
      for (const [i, insn] of this.insns.entries()) {
        if (insn.kind !== 'jmp') continue;
        const base = addr[i]! + 1;
        if (!(far[i]! & 1) && this.target(insn.jt, addr, i) - base > 255) {
          far[i] = far[i]! | 1;
          changed = true;
        }
        if (!(far[i]! & 2) && this.target(insn.jf, addr, i) - base > 255) {
          far[i] = far[i]! | 2;
          changed = true;
        }
      }
    }
    return far;
  }

  private encode(out: Buffer, where: { insn: Insn; index: number; far: number; addr: number[] }): void {
    const { insn, index, addr } = where;
    const at = addr[index]!;
    const put = (pos: number, code: number, jt: number, jf: number, k: number): void => {
      if (jt < 0 || jf < 0 || jt > 255 || jf > 255) throw new Error(`bpf jump out of range at ${pos}`);
      out.writeUInt16LE(code, pos * 8);
      out.writeUInt8(jt, pos * 8 + 2);
      out.writeUInt8(jf, pos * 8 + 3);
      out.writeUInt32LE(k >>> 0, pos * 8 + 4);
    };
    const forward = (from: number, label: Label): number => {
      const offset = this.target(label, addr, index) - (from + 1);
      if (offset < 0) throw new Error(`bpf backward jump at ${from}`);
      return offset;
    };
    switch (insn.kind) {
      case 'ld':
        put(at, BPF_LD_W_ABS, 0, 0, insn.offset);
        return;
      case 'and':
        put(at, BPF_ALU_AND_K, 0, 0, insn.k);
        return;
      case 'ret':
        put(at, BPF_RET_K, 0, 0, insn.k);
        return;
      case 'ja':
        put(at, BPF_JMP_JA, 0, 0, forward(at, insn.target));
        return;
      case 'jmp': {
        let slot = at + 1;
        let jt = 0;
        let jf = 0;
        if (where.far & 1) {
          put(slot, BPF_JMP_JA, 0, 0, forward(slot, insn.jt));
          jt = slot++ - (at + 1);
        } else jt = forward(at, insn.jt);
        if (where.far & 2) {
          put(slot, BPF_JMP_JA, 0, 0, forward(slot, insn.jf));
          jf = slot++ - (at + 1);
        } else jf = forward(at, insn.jf);
        put(at, JUMP_CODES[insn.op], jt, jf, insn.k);
        return;
      }
    }
  }
}

function popcount(bits: number): number {
  return (bits & 1) + ((bits >> 1) & 1);
}
