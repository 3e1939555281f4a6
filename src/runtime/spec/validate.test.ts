import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BerthError } from '../../core/index.ts';
import { compileSeccomp } from '../seccomp/index.ts';
import {
  CAPABILITIES,
  DEFAULT_CAPABILITIES,
  defaultSpec,
  LAST_CAPABILITY,
  parseCapability,
  type Spec,
  validateSpec,
} from './index.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests break documents in arbitrary ways
type Doc = Record<string, any>;

/** A fresh copy of a minimal valid config to break in one place. */
function base(): Doc {
  return {
    ociVersion: '1.2.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', env: ['PATH=/bin'] },
    hostname: 'x',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }] },
  };
}

function rejects(mutate: (spec: Doc) => unknown, message: string): void {
  const spec = base();
  // A mutation taking no argument builds the whole document; others edit `spec` in place.
  const replaced = mutate(spec);
  assert.throws(
    () => validateSpec(mutate.length === 0 ? replaced : spec),
    (err: unknown) => {
      assert.ok(err instanceof BerthError, String(err));
      assert.equal(err.code, 'ERR_RUNTIME_SPEC_INVALID');
      assert.equal(err.category, 'InvalidArgument');
      assert.equal(err.message, message);
      assert.ok(err.hint, 'has a hint');
      return true;
    },
  );
}

describe('validateSpec', () => {
  test('accepts a minimal config and returns it', () => {
    const spec = base();
    assert.equal(validateSpec(spec), spec);
  });

  const cases: [string, (spec: Doc) => unknown, string][] = [
    ['not an object', () => [], 'config.json: (document): must be a JSON object'],
    ['missing ociVersion', (s) => delete s.ociVersion, 'config.json: ociVersion: is required'],
    [
      'root not an object',
      (s) => {
        s.root = 'rootfs';
      },
      'config.json: root: must be an object, got string "rootfs"',
    ],
    [
      'empty root path',
      (s) => {
        s.root.path = '';
      },
      'config.json: root.path: must not be empty',
    ],
    [
      'readonly not boolean',
      (s) => {
        s.root.readonly = 'yes';
      },
      'config.json: root.readonly: must be true or false, got string "yes"',
    ],
    ['args missing', (s) => delete s.process.args, 'config.json: process.args: is required'],
    [
      'args empty',
      (s) => {
        s.process.args = [];
      },
      'config.json: process.args: must be a non-empty array of strings',
    ],
    [
      'args of numbers',
      (s) => {
        s.process.args = [1];
      },
      'config.json: process.args: must be a non-empty array of strings',
    ],
    ['cwd missing', (s) => delete s.process.cwd, 'config.json: process.cwd: is required'],
    [
      'cwd relative',
      (s) => {
        s.process.cwd = 'home';
      },
      'config.json: process.cwd: must be an absolute path, got "home"',
    ],
    ['user missing', (s) => delete s.process.user, 'config.json: process.user: is required'],
    [
      'negative uid',
      (s) => {
        s.process.user.uid = -1;
      },
      'config.json: process.user.uid: must be at least 0, got -1',
    ],
    [
      'fractional gid',
      (s) => {
        s.process.user.gid = 1.5;
      },
      'config.json: process.user.gid: must be an integer, got number 1.5',
    ],
    [
      'bad additional gid',
      (s) => {
        s.process.user.additionalGids = [1, 'x'];
      },
      'config.json: process.user.additionalGids[1]: must be an integer, got string "x"',
    ],
    [
      'env without =',
      (s) => {
        s.process.env = ['PATH=/bin', 'FOO'];
      },
      'config.json: process.env[1]: must be NAME=VALUE, got "FOO"',
    ],
    [
      'terminal type',
      (s) => {
        s.process.terminal = 1;
      },
      'config.json: process.terminal: must be true or false, got number 1',
    ],
    [
      'bad capability',
      (s) => {
        s.process.capabilities = { bounding: ['CAP_CHOWN', 'CAP_NOPE'] };
      },
      'config.json: process.capabilities.bounding[1]: unknown capability "CAP_NOPE"',
    ],
    [
      'bad rlimit type',
      (s) => {
        s.process.rlimits = [{ type: 'RLIMIT_FOO', hard: 1, soft: 1 }];
      },
      'config.json: process.rlimits[0].type: unknown rlimit type "RLIMIT_FOO"',
    ],
    [
      'negative rlimit',
      (s) => {
        s.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: -1, soft: 1 }];
      },
      'config.json: process.rlimits[0].hard: must be at least 0, got -1',
    ],
    [
      'soft above hard',
      (s) => {
        s.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 10, soft: 20 }];
      },
      'config.json: process.rlimits[0].soft: must not exceed hard (20 > 10)',
    ],
    [
      'duplicate rlimit',
      (s) => {
        s.process.rlimits = [
          { type: 'RLIMIT_NOFILE', hard: 1, soft: 1 },
          { type: 'RLIMIT_NOFILE', hard: 2, soft: 2 },
        ];
      },
      'config.json: process.rlimits[1].type: duplicate rlimit RLIMIT_NOFILE',
    ],
    [
      'oomScoreAdj range',
      (s) => {
        s.process.oomScoreAdj = 2000;
      },
      'config.json: process.oomScoreAdj: must be at most 1000, got 2000',
    ],
    [
      'relative mount destination',
      (s) => s.mounts.push({ destination: 'tmp', type: 'tmpfs' }),
      'config.json: mounts[1].destination: must be an absolute path, got "tmp"',
    ],
    [
      'mount options type',
      (s) => {
        s.mounts[0].options = 'ro';
      },
      'config.json: mounts[0].options: must be an array, got string "ro"',
    ],
    [
      'bad namespace type',
      (s) => s.linux.namespaces.push({ type: 'foo' }),
      'config.json: linux.namespaces[3].type: unknown namespace type "foo"',
    ],
    [
      'duplicate namespace',
      (s) => s.linux.namespaces.push({ type: 'pid' }),
      'config.json: linux.namespaces[3].type: duplicate namespace "pid"',
    ],
    [
      'relative namespace path',
      (s) => s.linux.namespaces.push({ type: 'network', path: 'proc/1/ns/net' }),
      'config.json: linux.namespaces[3].path: must be an absolute path, got "proc/1/ns/net"',
    ],
    [
      'mappings without a user namespace',
      (s) => {
        s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      },
      'config.json: linux.uidMappings: id mappings need a user namespace',
    ],
    [
      'bad uid mapping',
      (s) => {
        s.linux.namespaces.push({ type: 'user' });
        s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 0 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      },
      'config.json: linux.uidMappings[0].size: must be at least 1, got 0',
    ],
    [
      'user namespace without mappings',
      (s) => s.linux.namespaces.push({ type: 'user' }),
      'config.json: linux.uidMappings: a new user namespace needs at least one mapping',
    ],
    [
      'hostname without uts',
      (s) => s.linux.namespaces.splice(2, 1),
      'config.json: hostname: setting the hostname needs a private UTS namespace',
    ],
    [
      'relative hook path',
      (s) => {
        s.hooks = { prestart: [{ path: 'bin/hook' }] };
      },
      'config.json: hooks.prestart[0].path: must be an absolute path, got "bin/hook"',
    ],
    [
      'hook timeout',
      (s) => {
        s.hooks = { poststop: [{ path: '/bin/true', timeout: 0 }] };
      },
      'config.json: hooks.poststop[0].timeout: must be at least 1, got 0',
    ],
    [
      'unknown hook kind',
      (s) => {
        s.hooks = { prestartt: [] };
      },
      'config.json: hooks.prestartt: unknown hook kind',
    ],
    [
      'device major missing',
      (s) => {
        s.linux.devices = [{ type: 'c', path: '/dev/null', minor: 3 }];
      },
      'config.json: linux.devices[0].major: is required',
    ],
    [
      'device cgroup access',
      (s) => {
        s.linux.resources = { devices: [{ allow: true, access: 'rwx' }] };
      },
      'config.json: linux.resources.devices[0].access: must be made of r, w and m, got "rwx"',
    ],
    [
      'memory limit type',
      (s) => {
        s.linux.resources = { memory: { limit: '1g' } };
      },
      'config.json: linux.resources.memory.limit: must be an integer, got string "1g"',
    ],
    [
      'rootfs propagation',
      (s) => {
        s.linux.rootfsPropagation = 'weird';
      },
      'config.json: linux.rootfsPropagation: unknown value "weird" (expected one of shared, slave, private, unbindable, rshared, rslave, rprivate, runbindable)',
    ],
    [
      'seccomp arg index',
      (s) => {
        s.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [
            { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 9, value: 0, op: 'SCMP_CMP_EQ' }] },
          ],
        };
      },
      'config.json: linux.seccomp.syscalls[0].args[0].index: must be at most 5, got 9',
    ],
    [
      'masked path relative',
      (s) => {
        s.linux.maskedPaths = ['proc/kcore'];
      },
      'config.json: linux.maskedPaths[0]: must be an absolute path, got "proc/kcore"',
    ],
    [
      'annotation value',
      (s) => {
        s.annotations = { a: 1 };
      },
      'config.json: annotations.a: must be a string, got number 1',
    ],
    [
      'sysctl value',
      (s) => {
        s.linux.sysctl = { 'net.ipv4.ip_forward': 1 };
      },
      'config.json: linux.sysctl.net.ipv4.ip_forward: must be a string, got number 1',
    ],
    [
      'null linux',
      (s) => {
        s.linux = null;
      },
      'config.json: linux: must be an object, got null',
    ],
  ];
  for (const [what, mutate, message] of cases) test(what, () => rejects(mutate, message));

  test('blockIO weight 0 means unset (Docker sends it); 5 is refused', () => {
    const spec = base();
    spec.linux.resources = { blockIO: { weight: 0, leafWeight: 0 } };
    assert.equal(validateSpec(spec), spec);
    rejects((s) => {
      s.linux.resources = { blockIO: { weight: 5 } };
    }, 'config.json: linux.resources.blockIO.weight: must be at least 10, got 5');
  });

  test('a joined user namespace needs no mappings', () => {
    const spec = base();
    spec.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' });
    validateSpec(spec);
  });
});

describe('defaultSpec', () => {
  const check = (spec: Spec): void => {
    assert.equal(validateSpec(JSON.parse(JSON.stringify(spec))).ociVersion, spec.ociVersion);
  };

  test('is valid and carries Docker hardening', () => {
    const spec = defaultSpec();
    check(spec);
    assert.deepEqual(spec.process?.capabilities?.bounding, [...DEFAULT_CAPABILITIES]);
    assert.ok(spec.linux?.maskedPaths?.includes('/proc/kcore'));
    assert.ok(spec.linux?.readonlyPaths?.includes('/proc/sys'));
    assert.deepEqual(
      spec.mounts?.map((m) => m.destination),
      ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup'],
    );
    assert.ok(spec.linux?.namespaces?.some((ns) => ns.type === 'network'));
    assert.equal(spec.linux?.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.ok(compileSeccomp(spec.linux.seccomp!).filter.length > 0);
    assert.deepEqual(spec.linux?.resources?.devices, [{ allow: false, access: 'rwm' }]);
  });

  test('takes args and terminal', () => {
    const spec = defaultSpec({ args: ['/bin/echo', 'hi'], terminal: false });
    check(spec);
    assert.deepEqual(spec.process?.args, ['/bin/echo', 'hi']);
    assert.equal(spec.process?.terminal, false);
  });

  test('rootless: a user namespace mapping the caller to root and no cgroup limits', () => {
    const spec = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1001 });
    check(spec);
    assert.ok(spec.linux?.namespaces?.some((ns) => ns.type === 'user'));
    assert.ok(!spec.linux?.namespaces?.some((ns) => ns.type === 'network'));
    assert.deepEqual(spec.linux?.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
    assert.deepEqual(spec.linux?.gidMappings, [{ containerID: 0, hostID: 1001, size: 1 }]);
    assert.equal(spec.linux?.resources, undefined);
    assert.ok(!spec.mounts?.find((m) => m.destination === '/dev/pts')?.options?.includes('gid=5'));
  });
});

describe('capabilities', () => {
  test('every Linux 6.1 capability has its number', () => {
    assert.equal(Object.keys(CAPABILITIES).length, LAST_CAPABILITY + 1);
    assert.deepEqual(
      Object.values(CAPABILITIES).sort((a, b) => a - b),
      Array.from({ length: LAST_CAPABILITY + 1 }, (_, i) => i),
    );
    assert.equal(parseCapability('CAP_SYS_ADMIN'), 21);
    assert.equal(parseCapability('net_admin'), 12);
    assert.equal(parseCapability('CHECKPOINT_RESTORE'), 40);
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
  });

  test('unknown names are refused', () => {
    for (const name of ['CAP_NOPE', 'toString', '', 'CAP_']) {
      assert.throws(
        () => parseCapability(name),
        (err: unknown) => err instanceof BerthError && err.code === 'ERR_RUNTIME_CAPABILITY_UNKNOWN',
      );
    }
  });
});
