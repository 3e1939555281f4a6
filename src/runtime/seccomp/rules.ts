// Checks an OCI linux.seccomp object and turns it into return values and 64-bit comparisons
// the compiler can lay out. Every problem is reported with the rule it is in.
import { BerthError } from '../../core/index.ts';
import type { Seccomp, SeccompArg, SeccompSyscall } from '../spec/types.ts';

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

const EPERM = 1;
/** The kernel clamps larger errno values to MAX_ERRNO. */
const MAX_ERRNO = 4095;

export const SECCOMP_FILTER_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

export type CompareOp = SeccompArg['op'];
const OPS: ReadonlySet<string> = new Set([
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
]);

/** One argument comparison; for MASKED_EQ `value` is the mask and `valueTwo` the expected bits. */
export interface ArgCheck {
  index: number;
  op: CompareOp;
  value: bigint;
  valueTwo: bigint;
}

export interface Rule {
  /** Position in linux.seccomp.syscalls, for messages. */
  index: number;
  names: string[];
  action: number;
  args: ArgCheck[];
}

export interface CheckedProfile {
  defaultAction: number;
  rules: Rule[];
  flags: number;
}

/** Validates `seccomp` and resolves its actions, comparisons and flags. */
export function checkProfile(seccomp: Seccomp): CheckedProfile {
  if (seccomp.listenerPath !== undefined && seccomp.listenerPath !== '') {
    throw notifyUnsupported('linux.seccomp.listenerPath');
  }
  const defaultAction = actionValue(
    seccomp.defaultAction,
    seccomp.defaultErrnoRet,
    'linux.seccomp.defaultAction',
  );
  const rules = (seccomp.syscalls ?? []).map((rule, index) => checkRule(rule, index));
  return { defaultAction, rules, flags: filterFlags(seccomp.flags ?? []) };
}

function checkRule(rule: SeccompSyscall, index: number): Rule {
  const where = `linux.seccomp.syscalls[${index}]`;
  if (!Array.isArray(rule.names) || rule.names.length === 0) {
    throw invalid(`${where}.names: must list at least one system call`);
  }
  for (const [i, name] of rule.names.entries()) {
    if (typeof name !== 'string' || name === '')
      throw invalid(`${where}.names[${i}]: must be a non-empty string`);
  }
  const action = actionValue(rule.action, rule.errnoRet, `${where}.action`);
  const args = (rule.args ?? []).map((arg, i) => checkArg(arg, `${where}.args[${i}]`));
  return { index, names: rule.names, action, args };
}

function checkArg(arg: SeccompArg, where: string): ArgCheck {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) {
    throw invalid(`${where}.index: must be an integer from 0 to 5, got ${JSON.stringify(arg.index)}`);
  }
  if (!OPS.has(arg.op)) throw invalid(`${where}.op: unknown comparison ${JSON.stringify(arg.op)}`);
  return {
    index: arg.index,
    op: arg.op,
    value: uint64(arg.value, `${where}.value`),
    valueTwo: uint64(arg.valueTwo ?? 0, `${where}.valueTwo`),
  };
}

function uint64(value: unknown, where: string): bigint {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 64) {
    throw invalid(`${where}: must be an unsigned 64-bit integer, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

/** SECCOMP_RET_* value for an OCI action name (runc's mapping; errnoRet is also TRACE's message). */
function actionValue(action: string, errnoRet: number | undefined, where: string): number {
  const data = (): number => {
    const errno = errnoRet ?? EPERM;
    if (!Number.isInteger(errno) || errno < 0 || errno > MAX_ERRNO) {
      throw invalid(`${where}: errno return must be an integer from 0 to ${MAX_ERRNO}, got ${errno}`);
    }
    return errno;
  };
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET_TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET_ERRNO | data()) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET_TRACE | data()) >>> 0;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET_ALLOW;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET_LOG;
    case 'SCMP_ACT_NOTIFY':
      throw notifyUnsupported(where);
    default:
      throw invalid(`${where}: unknown action ${JSON.stringify(action)}`);
  }
}

function filterFlags(flags: string[]): number {
  let bits = 0;
  for (const [i, flag] of flags.entries()) {
    const bit = SECCOMP_FILTER_FLAGS[flag];
    if (bit === undefined) {
      throw invalid(`linux.seccomp.flags[${i}]: unknown flag ${JSON.stringify(flag)}`);
    }
    bits |= bit;
  }
  return bits;
}

export function invalid(message: string): BerthError {
  return new BerthError({
    code: 'ERR_RUNTIME_SECCOMP_INVALID',
    category: 'InvalidArgument',
    message: `seccomp profile: ${message}`,
    hint: 'fix linux.seccomp in config.json (see the OCI runtime-spec, config-linux.md "Seccomp")',
  });
}

function notifyUnsupported(where: string): BerthError {
  return new BerthError({
    code: 'ERR_RUNTIME_SECCOMP_UNSUPPORTED',
    category: 'InvalidArgument',
    message: `seccomp profile: ${where}: SCMP_ACT_NOTIFY and seccomp listeners are not supported`,
    hint: 'use SCMP_ACT_ERRNO or SCMP_ACT_LOG instead of SCMP_ACT_NOTIFY, and drop listenerPath',
  });
}
