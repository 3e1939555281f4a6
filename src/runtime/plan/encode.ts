import { type LaunchPlan, Op, type Step, type StepArg } from './ops.ts';

const MAGIC = 'BPLN';
const VERSION = 1;

function encodeArg(arg: StepArg): Buffer {
  if (typeof arg === 'string') return Buffer.from(`${arg}\0`, 'utf8');
  if (typeof arg === 'number' || typeof arg === 'bigint') {
    const buf = Buffer.alloc(8);
    if (typeof arg === 'number' && !Number.isInteger(arg))
      throw new Error(`non-integer plan argument ${arg}`);
    const value = BigInt(arg);
    if (value < 0n) buf.writeBigInt64LE(value);
    else buf.writeBigUInt64LE(value);
    return buf;
  }
  if (Array.isArray(arg)) return Buffer.from(arg.map((s) => `${s}\0`).join(''), 'utf8');
  return Buffer.from(arg);
}

function encodeStep(step: Step): Buffer[] {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(Op[step.op], 0);
  head.writeUInt16LE(step.args.length, 2);
  const parts: Buffer[] = [head];
  for (const arg of step.args) {
    const body = encodeArg(arg);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    parts.push(len, body);
  }
  return parts;
}

/** Serializes a plan into the binary format native/plan.h parses (docs/design/runtime.md). */
export function encodePlan(plan: LaunchPlan): Buffer {
  const head = Buffer.alloc(12);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(VERSION, 4);
  head.writeUInt32LE(plan.steps.length, 8);
  return Buffer.concat([head, ...plan.steps.flatMap(encodeStep)]);
}
