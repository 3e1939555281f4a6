import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceCgroupRule } from '../spec/index.ts';
import { accessBits, type BpfInstruction, compileDeviceFilter, encodeProgram } from './device-filter.ts';
import { effectiveDeviceRules } from './devices.ts';

// Runs the subset of eBPF the compiler emits, as the kernel would for one device access.
function run(
  program: BpfInstruction[],
  type: 'b' | 'c',
  major: number,
  minor: number,
  access: string,
): boolean {
  const ctx = [(accessBits(access) << 16) | (type === 'b' ? 1 : 2), major, minor];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0; pc < program.length; pc++) {
    const { code, dst, src, off, imm } = program[pc]!;
    switch (code) {
      case 0x61:
        r[dst] = ctx[off / 4]!;
        break;
      case 0x54:
        r[dst] = (r[dst]! & imm) >>> 0;
        break;
      case 0x74:
        r[dst] = r[dst]! >>> imm;
        break;
      case 0xbc:
        r[dst] = r[src]!;
        break;
      case 0xb7:
        r[dst] = imm;
        break;
      case 0x55:
        if (r[dst] !== imm) pc += off;
        break;
      case 0x5d:
        if (r[dst] !== r[src]) pc += off;
        break;
      case 0x15:
        if (r[dst] === imm) pc += off;
        break;
      case 0x95:
        return r[0] === 1;
      default:
        throw new Error(`unexpected opcode ${code}`);
    }
  }
  throw new Error('fell off the end');
}

// The verifier refuses a program with instructions no path reaches.
function assertAllReachable(program: BpfInstruction[]): void {
  const seen = new Set<number>();
  const todo = [0];
  while (todo.length > 0) {
    const pc = todo.pop()!;
    if (seen.has(pc) || pc >= program.length) continue;
    seen.add(pc);
    const { code, off } = program[pc]!;
    if (code === 0x95) continue;
    todo.push(pc + 1);
    if (code === 0x55 || code === 0x5d || code === 0x15) todo.push(pc + 1 + off);
  }
  assert.equal(seen.size, program.length, 'every instruction is reachable');
}

const program = (rules: DeviceCgroupRule[]) => {
  const p = compileDeviceFilter(effectiveDeviceRules(rules));
  assertAllReachable(p);
  return p;
};

test('the default policy allows the standard devices and mknod, denies the rest', () => {
  const p = program([]);
  assert.ok(run(p, 'c', 1, 3, 'rw'), '/dev/null');
  assert.ok(run(p, 'c', 136, 7, 'rw'), '/dev/pts/7');
  assert.ok(run(p, 'b', 8, 0, 'm'), 'mknod of any block device');
  assert.ok(!run(p, 'b', 8, 0, 'r'), 'reading a disk');
  assert.ok(!run(p, 'c', 10, 200, 'rw'), '/dev/net/tun is not a default');
  assert.ok(!run(p, 'c', 1, 1, 'r'), '/dev/mem');
});

test('later rules win, allow needs every requested bit, deny takes any of them', () => {
  const p = program([
    { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
    { allow: true, type: 'b', major: 8, access: 'r' },
    { allow: false, type: 'c', major: 10, minor: 200, access: 'w' },
    { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
  ]);
  assert.ok(run(p, 'c', 10, 200, 'r'));
  assert.ok(!run(p, 'c', 10, 200, 'rw'), 'the later deny of w wins');
  assert.ok(run(p, 'b', 8, 16, 'r'));
  assert.ok(!run(p, 'b', 8, 16, 'rw'), 'write was never allowed');
  assert.ok(run(p, 'c', 1, 3, 'rw'), 'the defaults come last (runc order), so /dev/null stays usable');
});

test('encodes 8 bytes an instruction with registers packed src<<4|dst', () => {
  const bytes = encodeProgram([{ code: 0x61, dst: 2, src: 1, off: 4, imm: -1 }]);
  assert.deepEqual([...bytes], [0x61, 0x12, 4, 0, 0xff, 0xff, 0xff, 0xff]);
});
