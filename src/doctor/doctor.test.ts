import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMountInfo } from '../core/index.ts';
import type { RunResult } from '../vm/index.ts';
import type { Host } from './check.ts';
import { cgroupLayout } from './checks/cgroup-layout.ts';
import { cgroupVerdict } from './checks/cgroups.ts';
import { diskVerdict } from './checks/disk.ts';
import { kernelVerdict, parseKernelRelease } from './checks/kernel.ts';
import { NAMESPACE_TYPES, namespaceVerdict } from './checks/namespaces.ts';
import { netfilterVerdict } from './checks/network.ts';
import { seccompVerdict } from './checks/seccomp.ts';
import { guestKernelVerdict, qemuVerdict } from './checks/vm.ts';
import { runDoctor, summarizeReport } from './doctor.ts';

// This project's machines (HOST-NOTES): v1 hierarchies plus systemd's cgroup2 at /unified.
const HYBRID = `22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const UNIFIED = `25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const LEGACY = `30 20 0:25 / /sys/fs/cgroup/cpu,cpuacct rw shared:5 - cgroup cgroup rw,cpu,cpuacct
31 20 0:26 / /sys/fs/cgroup/memory rw shared:6 - cgroup cgroup rw,memory
`;

describe('mountinfo → cgroup mode', () => {
  it('sees this machine as hybrid with its v1 controllers', () => {
    const layout = cgroupLayout(parseMountInfo(HYBRID));
    assert.equal(layout.mode, 'hybrid');
    assert.equal(layout.v2MountPoint, '/sys/fs/cgroup/unified');
    assert.deepEqual(
      layout.v1.flatMap((h) => h.controllers),
      ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'],
    );
    const verdict = cgroupVerdict({ layout, v2Controllers: ['hugetlb'], unwritable: [] });
    assert.equal(verdict.status, 'ok');
    assert.equal(
      verdict.detail,
      'hybrid: v1 cpu, cpuacct, cpuset, memory, devices, freezer, blkio, pids; v2 hugetlb',
    );
  });

  it('tells unified v2, pure v1 and none apart', () => {
    assert.equal(cgroupLayout(parseMountInfo(UNIFIED)).mode, 'v2');
    const legacy = cgroupLayout(parseMountInfo(LEGACY));
    assert.equal(legacy.mode, 'v1');
    assert.deepEqual(legacy.v1[0]?.controllers, ['cpu', 'cpuacct']);
    assert.equal(cgroupLayout(parseMountInfo(HYBRID.split('\n')[0] ?? '')).mode, 'none');
  });

  it('fails when no cgroup can be created, warns when a wanted controller is missing', () => {
    const layout = cgroupLayout(parseMountInfo(UNIFIED));
    const v2 = ['cpuset', 'cpu', 'io', 'memory', 'pids'];
    assert.equal(
      cgroupVerdict({ layout, v2Controllers: v2, unwritable: [] }).detail,
      'v2: v2 cpuset, cpu, io, memory, pids',
    );
    assert.equal(
      cgroupVerdict({ layout, v2Controllers: v2, unwritable: ['/sys/fs/cgroup (EROFS)'] }).status,
      'fail',
    );
    const noPids = cgroupVerdict({ layout, v2Controllers: ['cpu', 'memory'], unwritable: [] });
    assert.equal(noPids.status, 'warn');
    assert.match(noPids.detail, /missing pids/);
    const none = cgroupVerdict({ layout: cgroupLayout([]), v2Controllers: [], unwritable: [] });
    assert.equal(none.status, 'fail');
    assert.equal(none.required, true);
  });
});

const run = (over: Partial<RunResult>): RunResult => ({
  code: 0,
  signal: null,
  stdout: '',
  stderr: '',
  timedOut: false,
  durationMs: 1,
  ...over,
});
const nsType = (type: string) => NAMESPACE_TYPES.find((n) => n.type === type)!;

describe('namespace verdicts', () => {
  it('is ok only when the process ran in a different namespace', () => {
    const pid = nsType('pid');
    const created = namespaceVerdict({ ns: pid, hostLink: 'pid:[1]', result: run({ stdout: 'pid:[2]\n' }) });
    assert.equal(created.status, 'ok');
    const same = namespaceVerdict({ ns: pid, hostLink: 'pid:[1]', result: run({ stdout: 'pid:[1]\n' }) });
    assert.equal(same.status, 'fail');
    const denied = namespaceVerdict({
      ns: pid,
      hostLink: 'pid:[1]',
      result: run({ code: 1, stderr: 'unshare: unshare failed: Operation not permitted\n' }),
    });
    assert.equal(denied.status, 'fail');
    assert.match(denied.detail, /Operation not permitted/);
    const missing = namespaceVerdict({
      ns: pid,
      hostLink: 'pid:[1]',
      result: run({ code: null, spawnError: 'ENOENT' }),
    });
    assert.equal(missing.detail, 'unshare not found');
  });

  it('warns for an optional type the kernel lacks, fails for a required one', () => {
    const none = run({ code: 1 });
    assert.equal(namespaceVerdict({ ns: nsType('time'), hostLink: undefined, result: none }).status, 'warn');
    assert.equal(namespaceVerdict({ ns: nsType('net'), hostLink: undefined, result: none }).status, 'fail');
  });

  it('checks root mapping and max_user_namespaces for the user namespace', () => {
    const user = nsType('user');
    const good = run({ stdout: 'user:[9]\n0\n' });
    const ok = namespaceVerdict({ ns: user, hostLink: 'user:[1]', result: good, maxUserNamespaces: 96365 });
    assert.equal(ok.detail, 'created, root mapped; max_user_namespaces=96365');
    assert.equal(
      namespaceVerdict({ ns: user, hostLink: 'user:[1]', result: good, maxUserNamespaces: 0 }).status,
      'fail',
    );
    const unmapped = run({ stdout: 'user:[9]\n65534\n' });
    assert.equal(namespaceVerdict({ ns: user, hostLink: 'user:[1]', result: unmapped }).status, 'fail');
  });
});

describe('other verdicts', () => {
  it('kernel: parses releases and sets minimums', () => {
    assert.deepEqual(parseKernelRelease('6.18.44-fc-v669'), { major: 6, minor: 18, patch: 44 });
    assert.deepEqual(parseKernelRelease('5.10-rc1'), { major: 5, minor: 10, patch: 0 });
    assert.equal(kernelVerdict('6.1.0-28-amd64').status, 'ok');
    assert.equal(kernelVerdict('5.4.0').status, 'warn');
    assert.equal(kernelVerdict('4.9.0').status, 'fail');
    assert.equal(kernelVerdict('garbage').status, 'fail');
  });

  it('seccomp: needs filter mode and the actions profiles use', () => {
    const all = 'kill_process kill_thread trap errno user_notif trace log allow';
    assert.equal(seccompVerdict({ actionsAvail: all, statusMode: '0' }).status, 'ok');
    assert.equal(seccompVerdict({ actionsAvail: undefined, statusMode: '0' }).status, 'fail');
    assert.equal(seccompVerdict({ actionsAvail: all, statusMode: undefined }).status, 'fail');
    assert.match(
      seccompVerdict({ actionsAvail: 'kill_thread allow', statusMode: '0' }).detail,
      /lacks actions: errno/,
    );
  });

  it('netfilter: ok when either tool added the NAT rule', () => {
    const works = run({ stdout: 'nftables v1.0.6\n' });
    const missing = run({ code: 127, stderr: 'sh: 1: iptables: not found\n' });
    assert.equal(netfilterVerdict({ nft: works, iptables: missing }).status, 'ok');
    const neither = netfilterVerdict({ nft: missing, iptables: missing });
    assert.equal(neither.status, 'fail');
    assert.equal(neither.required, false);
  });

  it('disk: warns under 5 GiB', () => {
    const GiB = 1024 ** 3;
    const low = diskVerdict({
      stateDir: '/x/y',
      measuredAt: '/x',
      availableBytes: 2 * GiB,
      totalBytes: 10 * GiB,
    });
    assert.equal(low.status, 'warn');
    assert.equal(low.detail, '2.0 GiB free of 10.0 GiB under /x/y (measured at /x, which exists)');
    assert.equal(
      diskVerdict({ stateDir: '/x', measuredAt: '/x', availableBytes: 50 * GiB, totalBytes: 99 * GiB })
        .status,
      'ok',
    );
  });

  it('vm: missing QEMU or guest kernel fail but are optional', () => {
    const qemu = qemuVerdict({ found: false, reason: 'qemu-system-x86_64 not found on PATH' });
    assert.deepEqual([qemu.status, qemu.required], ['fail', false]);
    const kernel = guestKernelVerdict({ found: false, reason: 'no guest kernel at /s/guest/vmlinuz' }, '/s');
    assert.deepEqual([kernel.status, kernel.required], ['fail', false]);
    assert.match(kernel.hint ?? '', /fetch-guest-kernel\.sh \/s\/guest/);
  });
});

describe('summarizeReport', () => {
  const check = (status: 'ok' | 'warn' | 'fail', required: boolean) => ({
    id: 'x',
    title: 'x',
    detail: '',
    status,
    required,
  });
  it('is not ok only when a required check failed', () => {
    assert.equal(summarizeReport([check('ok', true), check('fail', false), check('warn', true)], 1).ok, true);
    assert.equal(summarizeReport([check('fail', true)], 1).ok, false);
    assert.deepEqual(summarizeReport([check('ok', true), check('fail', false)], 1).counts, {
      ok: 1,
      warn: 0,
      fail: 1,
    });
  });
});

// A host with nothing on it: every file missing, every program missing.
function emptyHost(): Host {
  const enoent = () => Promise.reject(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }));
  return {
    run: async () => run({ code: null, spawnError: 'ENOENT' }),
    readFile: enoent,
    readlink: enoent,
    exists: async () => false,
    kernelRelease: () => '6.1.0',
    makeDir: enoent,
    removeDir: enoent,
    makeTempDir: async () => '/nonexistent/doctor-tmp',
    removeTree: async () => {},
    space: enoent,
  };
}

describe('runDoctor', () => {
  it('never reports ok for something that is missing, and fails overall', async () => {
    const report = await runDoctor({
      host: emptyHost(),
      stateDir: '/nonexistent/berth-state',
      nativeHelper: '/nonexistent/berth-native',
      pathEnv: '',
    });
    const okIds = report.checks.filter((c) => c.status === 'ok').map((c) => c.id);
    assert.deepEqual(okIds, ['kernel']);
    assert.equal(report.ok, false);
    for (const id of ['namespace.pid', 'cgroups', 'overlayfs', 'seccomp', 'native-helper']) {
      const c = report.checks.find((x) => x.id === id);
      assert.equal(c?.status, 'fail', id);
      assert.equal(c?.required, true, id);
    }
    const accel = report.checks.find((c) => c.id === 'accelerator');
    assert.equal(accel?.detail, 'not probed: no QEMU and no guest kernel');
  });
});
