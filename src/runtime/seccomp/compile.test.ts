import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BerthError } from '../../core/index.ts';
import type { Seccomp } from '../spec/types.ts';
import {
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
  compileSeccomp,
  defaultSeccompProfile,
  evaluateFilter,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  seccompProfileFor,
  X32_SYSCALL_BIT,
} from './index.ts';
import { I386_SYSCALLS } from './syscalls/i386.ts';
import { X32_SYSCALLS } from './syscalls/x32.ts';
import { X86_64_SYSCALLS } from './syscalls/x86_64.ts';

const errno = (n: number): number => (SECCOMP_RET_ERRNO | n) >>> 0;
const EPERM = errno(1);
const X64 = AUDIT_ARCH_X86_64;

type Abi = 'x86_64' | 'i386' | 'x32';
const TABLES: Record<Abi, Readonly<Record<string, number>>> = {
  x86_64: X86_64_SYSCALLS,
  i386: I386_SYSCALLS,
  x32: X32_SYSCALLS,
};

/** Decides one call through the compiled filter, as the kernel would. */
function decide(filter: Buffer, call: { name: string; abi?: Abi; args?: (number | bigint)[] }): number {
  const abi = call.abi ?? 'x86_64';
  const nr = TABLES[abi][call.name];
  assert.ok(nr !== undefined, `${call.name} is not a ${abi} system call`);
  const arch = abi === 'i386' ? AUDIT_ARCH_I386 : X64;
  return evaluateFilter(filter, {
    nr: abi === 'x32' ? nr + X32_SYSCALL_BIT : nr,
    arch,
    args: call.args ?? [],
  });
}

function compileRules(syscalls: Seccomp['syscalls'], extra: Partial<Seccomp> = {}): Buffer {
  return compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls, ...extra }).filter;
}

describe('the default profile', () => {
  const { filter, unknownSyscalls } = compileSeccomp(defaultSeccompProfile());

  test('allows ordinary calls on all three ABIs', () => {
    for (const name of ['read', 'write', 'openat', 'execve', 'exit_group', 'mmap', 'futex', 'chroot']) {
      assert.equal(decide(filter, { name }), SECCOMP_RET_ALLOW, name);
      assert.equal(decide(filter, { name, abi: 'x32' }), SECCOMP_RET_ALLOW, `x32 ${name}`);
      assert.equal(decide(filter, { name, abi: 'i386' }), SECCOMP_RET_ALLOW, `i386 ${name}`);
    }
    assert.equal(decide(filter, { name: 'socketcall', abi: 'i386' }), SECCOMP_RET_ALLOW);
    assert.equal(decide(filter, { name: 'rt_sigaction', abi: 'x32' }), SECCOMP_RET_ALLOW);
    assert.equal(decide(filter, { name: 'arch_prctl' }), SECCOMP_RET_ALLOW);
  });

  test('denies privileged calls with EPERM', () => {
    for (const name of [
      'kexec_load',
      'mount',
      'umount2',
      'unshare',
      'setns',
      'reboot',
      'init_module',
      'bpf',
    ]) {
      assert.equal(decide(filter, { name }), EPERM, name);
      assert.equal(decide(filter, { name, abi: 'i386' }), EPERM, `i386 ${name}`);
    }
    assert.equal(decide(filter, { name: 'open_by_handle_at' }), EPERM);
    assert.equal(decide(filter, { name: 'keyctl' }), EPERM);
  });

  test('allows clone without namespace flags only', () => {
    assert.equal(decide(filter, { name: 'clone', args: [0x01200011] }), SECCOMP_RET_ALLOW); // fork()
    assert.equal(decide(filter, { name: 'clone', args: [0x003d0f00] }), SECCOMP_RET_ALLOW); // threads
    for (const flag of [0x10000000, 0x20000000, 0x40000000, 0x00020000, 0x04000000, 0x08000000, 0x02000000]) {
      assert.equal(decide(filter, { name: 'clone', args: [flag | 0x11] }), EPERM, flag.toString(16));
    }
    assert.equal(decide(filter, { name: 'clone', abi: 'i386', args: [0x10000000] }), EPERM);
    // Bits above 32 are outside the mask: allowed, as with libseccomp.
    assert.equal(decide(filter, { name: 'clone', args: [0x1_0000_0011n] }), SECCOMP_RET_ALLOW);
    assert.equal(decide(filter, { name: 'clone3' }), errno(38));
  });

  test('allows only the personalities Docker allows', () => {
    for (const value of [0, 8, 0x20000, 0x20008, 0xffffffff]) {
      assert.equal(decide(filter, { name: 'personality', args: [value] }), SECCOMP_RET_ALLOW, String(value));
      assert.equal(decide(filter, { name: 'personality', abi: 'i386', args: [value] }), SECCOMP_RET_ALLOW);
    }
    assert.equal(decide(filter, { name: 'personality', args: [0x0040000] }), EPERM); // READ_IMPLIES_EXEC
    assert.equal(decide(filter, { name: 'personality', args: [0xffffffff_ffffffffn] }), EPERM);
  });

  test('refuses AF_VSOCK sockets only', () => {
    assert.equal(decide(filter, { name: 'socket', args: [2, 1, 0] }), SECCOMP_RET_ALLOW);
    assert.equal(decide(filter, { name: 'socket', args: [40, 1, 0] }), EPERM);
    assert.equal(decide(filter, { name: 'socket', args: [40n + (1n << 32n)] }), SECCOMP_RET_ALLOW);
  });

  test('kills calls from other architectures, gives -1 the default action', () => {
    assert.equal(evaluateFilter(filter, { nr: 0, arch: 0xc00000b7 }), SECCOMP_RET_KILL_PROCESS); // aarch64
    assert.equal(evaluateFilter(filter, { nr: 0xffffffff, arch: X64 }), EPERM);
    assert.equal(evaluateFilter(filter, { nr: 0xffffffff, arch: AUDIT_ARCH_I386 }), EPERM);
  });

  test('reports names that are no x86 system call', () => {
    assert.deepEqual(unknownSyscalls.sort(), ['recv', 'send']);
  });

  test('fits the kernel limit of 4096 instructions', () => {
    assert.ok(filter.length / 8 < 4096);
  });

  test('with CAP_SYS_ADMIN allows mount and namespaced clone, as Docker does', () => {
    const admin = compileSeccomp(seccompProfileFor({ capabilities: ['CAP_SYS_ADMIN'] })).filter;
    assert.equal(decide(admin, { name: 'mount' }), SECCOMP_RET_ALLOW);
    assert.equal(decide(admin, { name: 'clone', args: [0x10000000] }), SECCOMP_RET_ALLOW);
    assert.equal(decide(admin, { name: 'clone3' }), SECCOMP_RET_ALLOW);
    assert.equal(decide(admin, { name: 'chroot' }), EPERM);
  });
});

describe('actions', () => {
  test('map to SECCOMP_RET values, errnoRet and defaultErrnoRet included', () => {
    const cases: [string, number | undefined, number][] = [
      ['SCMP_ACT_KILL', undefined, SECCOMP_RET_KILL_THREAD],
      ['SCMP_ACT_KILL_THREAD', undefined, SECCOMP_RET_KILL_THREAD],
      ['SCMP_ACT_KILL_PROCESS', undefined, SECCOMP_RET_KILL_PROCESS],
      ['SCMP_ACT_TRAP', undefined, SECCOMP_RET_TRAP],
      ['SCMP_ACT_ERRNO', undefined, EPERM],
      ['SCMP_ACT_ERRNO', 13, errno(13)],
      ['SCMP_ACT_TRACE', 7, (SECCOMP_RET_TRACE | 7) >>> 0],
      ['SCMP_ACT_LOG', undefined, SECCOMP_RET_LOG],
      ['SCMP_ACT_ALLOW', undefined, SECCOMP_RET_ALLOW],
    ];
    for (const [action, errnoRet, expected] of cases) {
      const filter = compileRules([{ names: ['mkdir'], action, errnoRet }]);
      assert.equal(decide(filter, { name: 'mkdir' }), expected, action);
      const byDefault = compileSeccomp({ defaultAction: action, defaultErrnoRet: errnoRet }).filter;
      assert.equal(decide(byDefault, { name: 'mkdir' }), expected, `default ${action}`);
    }
  });

  test('SCMP_ACT_NOTIFY is refused clearly', () => {
    assert.throws(
      () => compileRules([{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }]),
      (err: unknown) =>
        err instanceof BerthError &&
        err.code === 'ERR_RUNTIME_SECCOMP_UNSUPPORTED' &&
        /NOTIFY/.test(err.message),
    );
  });
});

describe('argument comparisons', () => {
  const big = 0x1_0000_0005n;
  const rule = (op: string, value: number | bigint, valueTwo?: number | bigint) =>
    compileRules(
      [
        {
          names: ['ioctl'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            {
              index: 2,
              op,
              value: Number(value),
              valueTwo: valueTwo === undefined ? undefined : Number(valueTwo),
            } as never,
          ],
        },
      ],
      { architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    );
  // Reference semantics, on unsigned 64-bit values.
  const holds = (op: string, arg: bigint, value: bigint, valueTwo: bigint): boolean =>
    ({
      SCMP_CMP_EQ: arg === value,
      SCMP_CMP_NE: arg !== value,
      SCMP_CMP_LT: arg < value,
      SCMP_CMP_LE: arg <= value,
      SCMP_CMP_GT: arg > value,
      SCMP_CMP_GE: arg >= value,
      SCMP_CMP_MASKED_EQ: (arg & value) === valueTwo,
    })[op]!;
  const values = [0n, 4n, 5n, 6n, 0xffffffffn, 0x1_0000_0000n, big - 1n, big, big + 1n, 0x2_0000_0005n];
  const ops = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE'];

  test('all ops agree with 64-bit unsigned comparison on x86_64 and x32', () => {
    for (const op of ops) {
      for (const value of [5n, big, 0xffffffffn]) {
        const filter = rule(op, value);
        for (const arg of values) {
          const expected = holds(op, arg, value, 0n) ? EPERM : SECCOMP_RET_ALLOW;
          const what = `${op} ${value} vs ${arg}`;
          assert.equal(decide(filter, { name: 'ioctl', args: [0, 0, arg] }), expected, what);
          assert.equal(
            decide(filter, { name: 'ioctl', abi: 'x32', args: [0, 0, arg] }),
            expected,
            `x32 ${what}`,
          );
        }
      }
    }
  });

  test('on i386 the upper half is zero', () => {
    for (const op of ops) {
      for (const value of [5n, big]) {
        const filter = rule(op, value);
        for (const arg of [0n, 5n, 6n, 0xffffffffn]) {
          const expected = holds(op, arg, value, 0n) ? EPERM : SECCOMP_RET_ALLOW;
          assert.equal(
            decide(filter, { name: 'ioctl', abi: 'i386', args: [0, 0, arg] }),
            expected,
            `${op} ${value}`,
          );
        }
      }
    }
  });

  test('SCMP_CMP_MASKED_EQ masks both halves', () => {
    const mask = 0xff00_0000_00ffn;
    const filter = rule('SCMP_CMP_MASKED_EQ', mask, 0x1200_0000_0034n);
    for (const arg of [0x1200_0000_0034n, 0x12ab_cdef_ab34n, 0x1200_0000_0035n, 0x1300_0000_0034n, 0x34n]) {
      const expected = holds('SCMP_CMP_MASKED_EQ', arg, mask, 0x1200_0000_0034n) ? EPERM : SECCOMP_RET_ALLOW;
      assert.equal(decide(filter, { name: 'ioctl', args: [0, 0, arg] }), expected, arg.toString(16));
    }
  });

  test('args of one rule are ANDed, rules of one call ORed in order', () => {
    const filter = compileRules([
      {
        names: ['ioctl'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 11,
        args: [
          { index: 0, op: 'SCMP_CMP_EQ', value: 3 },
          { index: 1, op: 'SCMP_CMP_EQ', value: 0x5401 },
        ],
      },
      {
        names: ['ioctl'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 22,
        args: [{ index: 0, op: 'SCMP_CMP_EQ', value: 3 }],
      },
      {
        names: ['ioctl', 'read'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 33,
        args: [{ index: 5, op: 'SCMP_CMP_GT', value: 9 }],
      },
    ]);
    assert.equal(decide(filter, { name: 'ioctl', args: [3, 0x5401] }), errno(11));
    assert.equal(decide(filter, { name: 'ioctl', args: [3, 0x5402] }), errno(22));
    assert.equal(decide(filter, { name: 'ioctl', args: [4, 0x5401, 0, 0, 0, 10] }), errno(33));
    assert.equal(decide(filter, { name: 'ioctl', args: [4, 0x5401] }), SECCOMP_RET_ALLOW);
    assert.equal(decide(filter, { name: 'read', args: [0, 0, 0, 0, 0, 10] }), errno(33));
    assert.equal(decide(filter, { name: 'write', args: [0, 0, 0, 0, 0, 10] }), SECCOMP_RET_ALLOW);
  });
});

describe('architectures', () => {
  const deny = [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }];

  test('the native ABI alone kills i386 and x32 calls', () => {
    const filter = compileRules(deny);
    assert.equal(decide(filter, { name: 'mkdir' }), EPERM);
    assert.equal(decide(filter, { name: 'getpid' }), SECCOMP_RET_ALLOW);
    assert.equal(decide(filter, { name: 'getpid', abi: 'i386' }), SECCOMP_RET_KILL_PROCESS);
    assert.equal(decide(filter, { name: 'getpid', abi: 'x32' }), SECCOMP_RET_KILL_PROCESS);
    assert.equal(evaluateFilter(filter, { nr: 0xffffffff, arch: X64 }), SECCOMP_RET_ALLOW);
  });

  test('x32 numbers carry the x32 bit and their own table', () => {
    const filter = compileRules(deny, { architectures: ['SCMP_ARCH_X32'] });
    assert.equal(decide(filter, { name: 'mkdir', abi: 'x32' }), EPERM);
    assert.equal(decide(filter, { name: 'mkdir' }), EPERM);
    // x32's own rt_sigaction (512) differs from x86_64's (13).
    const sig = compileRules([{ names: ['rt_sigaction'], action: 'SCMP_ACT_ERRNO' }], {
      architectures: ['SCMP_ARCH_X32'],
    });
    assert.equal(evaluateFilter(sig, { nr: X32_SYSCALL_BIT + 512, arch: X64 }), EPERM);
    assert.equal(evaluateFilter(sig, { nr: X32_SYSCALL_BIT + 13, arch: X64 }), SECCOMP_RET_ALLOW);
    assert.equal(evaluateFilter(sig, { nr: 13, arch: X64 }), EPERM);
  });

  test('i386 uses its own numbers', () => {
    const filter = compileRules(deny, { architectures: ['SCMP_ARCH_X86'] });
    assert.equal(decide(filter, { name: 'mkdir', abi: 'i386' }), EPERM);
    assert.equal(evaluateFilter(filter, { nr: 83, arch: AUDIT_ARCH_I386 }), SECCOMP_RET_ALLOW); // symlink
    const i386Only = compileRules([{ names: ['waitpid', 'socketcall'], action: 'SCMP_ACT_ERRNO' }], {
      architectures: ['SCMP_ARCH_X86'],
    });
    assert.equal(decide(i386Only, { name: 'waitpid', abi: 'i386' }), EPERM);
    assert.equal(decide(i386Only, { name: 'socketcall', abi: 'i386' }), EPERM);
  });

  test('a native i386 filter', () => {
    const { filter } = compileSeccomp(
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: deny },
      { nativeArch: 'SCMP_ARCH_X86' },
    );
    assert.equal(decide(filter, { name: 'mkdir', abi: 'i386' }), EPERM);
    assert.equal(decide(filter, { name: 'read' }), SECCOMP_RET_KILL_PROCESS);
  });

  test('foreign architectures are skipped, unknown ones refused', () => {
    compileRules(deny, { architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] });
    assert.throws(
      () => compileRules(deny, { architectures: ['SCMP_ARCH_VAX'] }),
      /architectures\[0\]: unknown/,
    );
  });
});

describe('bad profiles', () => {
  const cases: [string, Seccomp, RegExp][] = [
    ['unknown default', { defaultAction: 'SCMP_ACT_NOPE' }, /defaultAction: unknown action "SCMP_ACT_NOPE"/],
    [
      'unknown action',
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['a'], action: 'SCMP_ACT_ALLOW' },
          { names: ['b'], action: 'X' },
        ],
      },
      /syscalls\[1\]\.action: unknown action "X"/,
    ],
    [
      'empty names',
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] },
      /syscalls\[0\]\.names/,
    ],
    [
      'empty name',
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [''], action: 'SCMP_ACT_ERRNO' }] },
      /syscalls\[0\]\.names\[0\]/,
    ],
    [
      'arg index',
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] },
        ],
      },
      /syscalls\[0\]\.args\[0\]\.index: must be an integer from 0 to 5/,
    ],
    [
      'bad op',
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          {
            names: ['read'],
            action: 'SCMP_ACT_ERRNO',
            args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' as never }],
          },
        ],
      },
      /syscalls\[0\]\.args\[0\]\.op: unknown comparison "SCMP_CMP_XX"/,
    ],
    [
      'negative value',
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] },
        ],
      },
      /args\[0\]\.value: must be an unsigned 64-bit integer/,
    ],
    [
      'errno range',
      { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 },
      /errno return must be an integer/,
    ],
    [
      'bad flag',
      { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NOPE'] },
      /flags\[0\]: unknown flag/,
    ],
  ];
  for (const [what, profile, message] of cases) {
    test(what, () => {
      assert.throws(
        () => compileSeccomp(profile),
        (err: unknown) =>
          err instanceof BerthError &&
          err.code === 'ERR_RUNTIME_SECCOMP_INVALID' &&
          err.category === 'InvalidArgument' &&
          message.test(err.message),
      );
    });
  }
});

test('flags become SECCOMP_FILTER_FLAG bits', () => {
  const flags = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'];
  assert.equal(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags }).flags, 7);
  const killable = ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];
  assert.equal(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: killable }).flags, 32);
});

test('a rule for every syscall of every ABI decides each one', () => {
  // Thousands of distinct targets: forces long jumps through trampolines in every block.
  const names = [...new Set([...Object.keys(X86_64_SYSCALLS), ...Object.keys(I386_SYSCALLS)])];
  const syscalls = names.map((name, i) => ({
    names: [name],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: 1 + (i % 4000),
    args: [{ index: 0, op: 'SCMP_CMP_NE' as const, value: 7 }],
  }));
  const { filter } = compileSeccomp(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: syscalls.slice(0, 150) },
    { nativeArch: 'SCMP_ARCH_X86_64' },
  );
  for (const [i, rule] of syscalls.slice(0, 150).entries()) {
    const name = rule.names[0]!;
    if (X86_64_SYSCALLS[name] === undefined) continue;
    assert.equal(decide(filter, { name, args: [1] }), errno(1 + i), name);
    assert.equal(decide(filter, { name, args: [7] }), SECCOMP_RET_ALLOW, name);
  }
});
