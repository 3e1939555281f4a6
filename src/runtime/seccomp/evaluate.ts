// A classic-BPF interpreter for seccomp programs, written independently of the compiler so
// tests (and `explain`-style debugging) can ask what a filter decides for a given call.
// It implements the instruction set the kernel accepts for seccomp (seccomp_check_filter).

/** The struct seccomp_data the kernel hands a filter. */
export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  /** Up to six arguments; missing ones are 0. */
  args?: (bigint | number)[];
}

const SECCOMP_DATA_SIZE = 64;
const MEMWORDS = 16;

/** Runs `filter` (struct sock_filter[]) on `data` and returns the SECCOMP_RET_* value. */
export function evaluateFilter(filter: Buffer, data: SeccompData): number {
  const input = encodeData(data);
  const count = filter.length / 8;
  if (!Number.isInteger(count) || count === 0) throw new Error('bpf: program length is not a multiple of 8');
  const mem = new Uint32Array(MEMWORDS);
  let a = 0;
  let x = 0;
  for (let pc = 0; pc < count; pc++) {
    const code = filter.readUInt16LE(pc * 8);
    const jt = filter.readUInt8(pc * 8 + 2);
    const jf = filter.readUInt8(pc * 8 + 3);
    const k = filter.readUInt32LE(pc * 8 + 4);
    const cls = code & 0x07;
    const src = code & 0x08 ? x : k;
    switch (cls) {
      case 0x00: // BPF_LD
        a = load(code, { k, input, mem });
        break;
      case 0x01: // BPF_LDX
        x = load(code, { k, input, mem });
        break;
      case 0x02: // BPF_ST
        mem[memIndex(k)] = a;
        break;
      case 0x03: // BPF_STX
        mem[memIndex(k)] = x;
        break;
      case 0x04: // BPF_ALU
        a = alu(code & 0xf0, a, src);
        break;
      case 0x05: // BPF_JMP
        pc += jumpOffset(code & 0xf0, { a, src, k, jt, jf });
        if (pc + 1 >= count) throw new Error(`bpf: jump past the end at ${pc}`);
        break;
      case 0x06: // BPF_RET
        return ((code & 0x18) === 0x10 ? a : k) >>> 0;
      case 0x07: // BPF_MISC: TAX / TXA
        if (code & 0x80) a = x;
        else x = a;
        break;
    }
  }
  throw new Error('bpf: program ran off its end without returning');
}

function encodeData(data: SeccompData): Buffer {
  const out = Buffer.alloc(SECCOMP_DATA_SIZE);
  out.writeUInt32LE(data.nr >>> 0, 0);
  out.writeUInt32LE(data.arch >>> 0, 4);
  out.writeBigUInt64LE(data.instructionPointer ?? 0n, 8);
  for (const [i, arg] of (data.args ?? []).entries()) {
    out.writeBigUInt64LE(BigInt.asUintN(64, BigInt(arg)), 16 + 8 * i);
  }
  return out;
}

function memIndex(k: number): number {
  if (k >= MEMWORDS) throw new Error(`bpf: scratch memory index ${k} out of range`);
  return k;
}

function load(code: number, from: { k: number; input: Buffer; mem: Uint32Array }): number {
  const mode = code & 0xe0;
  switch (mode) {
    case 0x00: // BPF_IMM
      return from.k;
    case 0x20: // BPF_ABS (only 32-bit, aligned words are valid for seccomp)
      if ((code & 0x18) !== 0 || from.k % 4 !== 0 || from.k + 4 > SECCOMP_DATA_SIZE) {
        throw new Error(`bpf: invalid load at offset ${from.k}`);
      }
      return from.input.readUInt32LE(from.k);
    case 0x60: // BPF_MEM
      return from.mem[memIndex(from.k)]!;
    case 0x80: // BPF_LEN
      return SECCOMP_DATA_SIZE;
    default:
      throw new Error(`bpf: unsupported load mode 0x${mode.toString(16)}`);
  }
}

function alu(op: number, a: number, v: number): number {
  switch (op) {
    case 0x00:
      return (a + v) >>> 0;
    case 0x10:
      return (a - v) >>> 0;
    case 0x20:
      return Number((BigInt(a) * BigInt(v)) & 0xffffffffn);
    case 0x30:
      if (v === 0) throw new Error('bpf: division by zero');
      return Math.floor(a / v) >>> 0;
    case 0x40:
      return (a | v) >>> 0;
    case 0x50:
      return (a & v) >>> 0;
    case 0x60:
      return v >= 32 ? 0 : (a << v) >>> 0;
    case 0x70:
      return v >= 32 ? 0 : a >>> v;
    case 0x80:
      return -a >>> 0;
    case 0x90:
      if (v === 0) throw new Error('bpf: modulo by zero');
      return (a % v) >>> 0;
    case 0xa0:
      return (a ^ v) >>> 0;
    default:
      throw new Error(`bpf: unsupported alu op 0x${op.toString(16)}`);
  }
}

function jumpOffset(op: number, j: { a: number; src: number; k: number; jt: number; jf: number }): number {
  switch (op) {
    case 0x00: // BPF_JA
      return j.k;
    case 0x10:
      return j.a === j.src ? j.jt : j.jf;
    case 0x20:
      return j.a > j.src ? j.jt : j.jf;
    case 0x30:
      return j.a >= j.src ? j.jt : j.jf;
    case 0x40:
      return (j.a & j.src) !== 0 ? j.jt : j.jf;
    default:
      throw new Error(`bpf: unsupported jump op 0x${op.toString(16)}`);
  }
}
