import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BPF_JMP_JA, BpfProgramBuilder, NEXT } from './bpf.ts';
import { evaluateFilter } from './evaluate.ts';

function countJa(filter: Buffer): number {
  let count = 0;
  for (let i = 0; i < filter.length; i += 8) if (filter.readUInt16LE(i) === BPF_JMP_JA) count++;
  return count;
}

test('conditional jumps over more than 255 instructions go through a trampoline', () => {
  const b = new BpfProgramBuilder();
  const far = b.newLabel();
  const alsoFar = b.newLabel();
  b.load(0);
  b.jump('jeq', 1, far, NEXT);
  b.jump('jeq', 2, NEXT, alsoFar); // the false branch is the far one
  for (let i = 0; i < 300; i++) b.ret(1000 + i);
  b.place(far);
  b.ret(1);
  b.place(alsoFar);
  b.ret(2);
  const filter = b.assemble();
  assert.equal(countJa(filter), 2);
  assert.equal(evaluateFilter(filter, { nr: 1, arch: 0 }), 1);
  assert.equal(evaluateFilter(filter, { nr: 2, arch: 0 }), 1000);
  assert.equal(evaluateFilter(filter, { nr: 3, arch: 0 }), 2);
});

test('both branches far, and jumps that only become far once trampolines are added', () => {
  const b = new BpfProgramBuilder();
  const t = b.newLabel();
  const f = b.newLabel();
  const edge = b.newLabel();
  b.load(0);
  b.jump('jeq', 7, edge, NEXT); // exactly 255 away until the next jump grows
  b.jump('jgt', 7, t, f);
  for (let i = 0; i < 253; i++) b.ret(5000 + i);
  b.place(edge);
  b.ret(3);
  for (let i = 0; i < 300; i++) b.ret(6000 + i);
  b.place(t);
  b.ret(1);
  b.place(f);
  b.ret(2);
  const filter = b.assemble();
  assert.equal(evaluateFilter(filter, { nr: 7, arch: 0 }), 3);
  assert.equal(evaluateFilter(filter, { nr: 8, arch: 0 }), 1);
  assert.equal(evaluateFilter(filter, { nr: 6, arch: 0 }), 2);
});

test('a backward or unplaced label is a programming error', () => {
  const b = new BpfProgramBuilder();
  const never = b.newLabel();
  b.goto(never);
  assert.throws(() => b.assemble(), /never placed/);
});
