import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Spec } from '../spec/index.ts';
import { buildContainerPlan, type ContainerPlanOptions } from './build.ts';
import { encodePlan } from './encode.ts';
import { MS } from './linux.ts';
import { parseMountOptions } from './mount-options.ts';
import { planNamespaces } from './namespaces.ts';
import type { OpName } from './ops.ts';

function spec(edit?: (s: Spec) => void): Spec {
  const s: Spec = {
    ociVersion: '1.2.0',
    process: {
      user: { uid: 0, gid: 0 },
      cwd: '/',
      args: ['true'],
      env: ['PATH=/bin'],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs' },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
  };
  edit?.(s);
  return s;
}

function plan(s: Spec, extra: Partial<ContainerPlanOptions> = {}): OpName[] {
  return buildContainerPlan({
    spec: s,
    bundle: '/b',
    rootfs: '/b/rootfs',
    containerId: 'c',
    execFifo: '/run/c/exec.fifo',
    monitor: false,
    cgroupsPath: '/c',
    lastCap: 40,
    seccomp: { filter: new Uint8Array(8), flags: 0 },
    ...extra,
  }).steps.map((step) => step.op);
}

describe('launch plan encoding', () => {
  it('writes the header, then op, argc and length-prefixed arguments', () => {
    const buf = encodePlan({ steps: [{ op: 'sethostname', args: ['ab', 7, ['x', 'y']] }] });
    assert.equal(buf.subarray(0, 4).toString(), 'BPLN');
    assert.equal(buf.readUInt32LE(4), 1);
    assert.equal(buf.readUInt32LE(8), 1);
    assert.equal(buf.readUInt16LE(12), 13);
    assert.equal(buf.readUInt16LE(14), 3);
    assert.equal(buf.readUInt32LE(16), 3);
    assert.equal(buf.subarray(20, 23).toString('latin1'), 'ab\0');
    assert.equal(buf.readUInt32LE(23), 8);
    assert.equal(buf.readBigInt64LE(27), 7n);
    assert.equal(buf.subarray(39, 43).toString('latin1'), 'x\0y\0');
  });
});

describe('container plan', () => {
  it('runs launcher steps, clone and pid report before the split, exec last', () => {
    const ops = plan(spec());
    const split = ops.indexOf('split');
    assert.deepEqual(ops.slice(0, split + 1), ['mkfifo', 'open', 'clone', 'reportPid', 'split']);
    assert.equal(ops.at(-1), 'exec');
    assert.ok(ops.indexOf('pivotRoot') < ops.indexOf('reportReady'));
    assert.ok(ops.indexOf('reportReady') < ops.indexOf('waitStart'));
  });

  it('installs seccomp after the start sync with no_new_privs, before the id change without it', () => {
    const nnp = plan(spec());
    assert.ok(nnp.indexOf('seccomp') > nnp.indexOf('waitStart'));
    const privileged = plan(
      spec((s) => {
        s.process!.noNewPrivileges = false;
      }),
    );
    assert.ok(privileged.indexOf('seccomp') < privileged.indexOf('setuid'));
  });

  it('uses move-root for --no-pivot and adds the console step for a terminal', () => {
    const ops = plan(
      spec((s) => {
        s.process!.terminal = true;
      }),
      { noPivot: true, consoleSocket: '/tmp/c.sock' },
    );
    assert.ok(ops.includes('moveRoot') && !ops.includes('pivotRoot'));
    assert.ok(ops.indexOf('connectUnix') < ops.indexOf('clone'));
    assert.ok(ops.indexOf('console') > ops.indexOf('moveRoot'));
  });

  it('refuses a terminal without a console socket', () => {
    assert.throws(
      () =>
        plan(
          spec((s) => {
            s.process!.terminal = true;
          }),
        ),
      /no --console-socket/,
    );
  });

  it('raises only ambient capabilities that are permitted and inheritable', () => {
    const steps = buildContainerPlan({
      spec: spec((s) => {
        s.process!.capabilities = {
          permitted: ['CAP_KILL'],
          inheritable: ['CAP_KILL'],
          ambient: ['CAP_KILL', 'CAP_CHOWN'],
        };
      }),
      bundle: '/b',
      rootfs: '/b/rootfs',
      containerId: 'c',
      monitor: false,
      cgroupsPath: '/c',
      lastCap: 40,
    }).steps;
    assert.deepEqual(steps.find((s) => s.op === 'ambientRaise')?.args, [1n << 5n]);
  });
});

describe('namespaces', () => {
  it('clones new ones, joins given paths user-first, defers the cgroup namespace', () => {
    const ns = planNamespaces({
      namespaces: [
        { type: 'network', path: '/run/netns/x' },
        { type: 'user', path: '/proc/1/ns/user' },
        { type: 'cgroup' },
        { type: 'pid' },
      ],
    });
    assert.deepEqual(
      ns.joins.map((s) => s.args[0]),
      ['/proc/1/ns/user', '/run/netns/x'],
    );
    assert.equal(ns.cloneFlags, 0x20000000);
    assert.equal(ns.newCgroup, true);
  });

  it('rejects unknown and repeated types naming the entry', () => {
    assert.throws(
      () => planNamespaces({ namespaces: [{ type: 'bogus' as 'pid' }] }),
      /linux\.namespaces\[0\]\.type/,
    );
    assert.throws(() => planNamespaces({ namespaces: [{ type: 'pid' }, { type: 'pid' }] }), /listed twice/);
  });
});

describe('mount options', () => {
  it('splits flags, propagation and data like runc', () => {
    const o = parseMountOptions(['rbind', 'ro', 'nosuid', 'rslave', 'mode=755', 'size=1m']);
    assert.equal(o.flags, MS.bind | MS.rec | MS.rdonly | MS.nosuid);
    assert.deepEqual(o.propagation, [MS.slave | MS.rec]);
    assert.equal(o.data, 'mode=755,size=1m');
    assert.equal(parseMountOptions(['ro', 'rw']).flags, 0);
  });
});

describe('launch plan order (runc compatibility)', () => {
  it('writes sysctls before /proc/sys becomes read-only', () => {
    const ops = plan(
      spec((s) => {
        s.linux!.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '0' };
        s.linux!.readonlyPaths = ['/proc/sys'];
        s.linux!.maskedPaths = ['/proc/kcore'];
      }),
    );
    assert.ok(ops.indexOf('writeFile') < ops.indexOf('readonlyPath'));
    assert.ok(ops.indexOf('readonlyPath') < ops.indexOf('maskPath'));
  });

  it('becomes root of a user namespace right after go, before any mount', () => {
    const ops = plan(
      spec((s) => {
        s.linux = {
          namespaces: [...(s.linux?.namespaces ?? []), { type: 'user' }],
          uidMappings: [{ containerID: 0, hostID: 100000, size: 1 }],
          gidMappings: [{ containerID: 0, hostID: 100000, size: 1 }],
        };
      }),
    );
    const go = ops.indexOf('waitGo');
    assert.deepEqual(ops.slice(go, go + 4), ['waitGo', 'setgroups', 'setgid', 'setuid']);
  });

  it('binds the pty on /dev/console when the process has a terminal', () => {
    const steps = buildContainerPlan({
      spec: spec((s) => {
        s.process!.terminal = true;
      }),
      bundle: '/b',
      rootfs: '/b/rootfs',
      containerId: 'c',
      consoleSocket: '/run/console.sock',
      monitor: false,
      cgroupsPath: '/c',
      lastCap: 40,
    }).steps;
    assert.deepEqual(steps.find((s) => s.op === 'console')?.args.at(-1), '/dev/console');
  });
});
