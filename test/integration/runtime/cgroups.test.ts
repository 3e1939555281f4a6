// cgroup managers against the real kernel (root). This host is hybrid: the v1 hierarchies are
// exercised through the hybrid manager, and the v2 manager runs on the real unified mount.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../src/core/index.ts';
import { nodeCgroupFs } from '../../../src/runtime/cgroups/fs.ts';
import {
  type CgroupManager,
  createCgroupManager,
  detectCgroupMode,
} from '../../../src/runtime/cgroups/index.ts';
import { type CgroupHarness, runCgroupManagerSuite } from '../../../src/runtime/cgroups/suite.ts';
import { removeCgroupTree } from '../../../src/runtime/cgroups/tree.ts';

const isRoot = process.getuid?.() === 0;
const mode = isRoot ? detectCgroupMode() : undefined;
const TEST_PARENT = `/berth-it-${process.pid}`;
const UNIFIED = mode === 'hybrid' ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
const BUSYBOX = '/bin/busybox';
const MIB = 1024 * 1024;

interface Workload {
  pid: number;
  /** Lets the script past its `read` (it runs inside the cgroup by then). */
  go(): void;
  /** Resolves with the signal number that ended it, or 0 for a normal exit. */
  exit: Promise<number>;
  output(): string;
}

const running = new Set<ChildProcess>();

/** Starts `busybox sh -c 'read x; <script>'` (or another argv) that waits for go(). */
function startWorkload(
  t: TestContext,
  argv: string[] = [BUSYBOX, 'sh', '-c', 'read x; exec sleep 100'],
): Workload {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  const collect = (d: Buffer): void => {
    out += d;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<number>((resolve) =>
    child.on('exit', (_code, signal) => {
      running.delete(child);
      resolve(signal === null ? 0 : constants.signals[signal]);
    }),
  );
  t.after(() => {
    if (running.has(child)) child.kill('SIGKILL');
  });
  return { pid: child.pid!, go: () => child.stdin?.write('go\n'), exit, output: () => out };
}

function manager(t: TestContext, name: string, root?: string): CgroupManager {
  const m = createCgroupManager({
    containerId: name,
    cgroupsPath: `${TEST_PARENT}/${name}`,
    ...(root === undefined ? {} : { root }),
    log: createLogger({ level: 'error' }),
  });
  t.after(async () => {
    await m.killAll(constants.signals.SIGKILL).catch(() => undefined);
    await m.destroy();
  });
  return m;
}

function harness(root?: string): CgroupHarness {
  const exits = new Map<number, Promise<number>>();
  return {
    manager: (t, name) => manager(t, name, root),
    async startProcess(t) {
      const w = startWorkload(t, ['sleep', '100']);
      exits.set(w.pid, w.exit);
      return w.pid;
    },
    exited: (pid) => exits.get(pid) ?? Promise.reject(new Error(`unknown pid ${pid}`)),
  };
}

// Fields of /proc/<pid>/stat after the command name: state is the first, utime the twelfth.
const statField = (pid: number, index: number): string =>
  (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ')[index] ?? '';
const procState = (pid: number): string => statField(pid, 0);
const utime = (pid: number): string => statField(pid, 11);
const read = (path: string): string => readFileSync(path, 'utf8').trim();

// Opens /dev/null (a default device) and /dev/net/tun (not one) from inside the cgroup.
async function probeDevices(t: TestContext, m: CgroupManager): Promise<string> {
  const script = 'read x; echo ok > /dev/null && echo null-ok; exec 3< /dev/net/tun && echo tun-opened';
  const w = startWorkload(t, [BUSYBOX, 'sh', '-c', script]);
  await m.addProcess(w.pid);
  w.go();
  await w.exit;
  return w.output();
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(20);
  assert.ok(check(), what);
}

after(async () => {
  for (const child of running) child.kill('SIGKILL');
  for (const mount of readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d))) {
    if (existsSync(mount + TEST_PARENT)) await removeCgroupTree(nodeCgroupFs, mount + TEST_PARENT);
  }
});

if (!isRoot) {
  test('cgroup integration tests need root', { skip: 'not root' }, () => undefined);
} else {
  runCgroupManagerSuite(`real ${mode}`, harness());

  test(`real ${mode}: a memory limit is written and enforced by the OOM killer`, async (t) => {
    const m = manager(t, 'oom');
    await m.create();
    await m.applyResources({ memory: { limit: 32 * MIB } });
    const memDir = m.paths.memory ?? m.paths.unified!;
    const limitFile = mode === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
    assert.equal(read(join(memDir, limitFile)), String(32 * MIB));
    const hog = startWorkload(t, [
      process.execPath,
      '-e',
      "process.stdin.once('data', () => { const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1)); })",
    ]);
    await m.addProcess(hog.pid);
    hog.go();
    assert.equal(await hog.exit, constants.signals.SIGKILL, 'the allocating process is OOM-killed');
    const stats = await m.stats();
    assert.ok(stats.memory.usage.failcnt > 0, 'failcnt counts hits of the limit');
    assert.ok(
      stats.memory.usage.max > 0 && stats.memory.usage.max <= 32 * MIB,
      'peak usage stays under the limit',
    );
    if (mode !== 'v2') assert.match(read(join(memDir, 'memory.oom_control')), /oom_kill [1-9]/);
  });

  test(`real ${mode}: pids.max stops forks beyond the limit`, async (t) => {
    const m = manager(t, 'pids');
    await m.create();
    await m.applyResources({ pids: { limit: 4 } });
    // The shell and three sleeps reach the limit; the fourth fork fails and the shell gives up.
    const forker = startWorkload(t, [
      BUSYBOX,
      'sh',
      '-c',
      'read x; for i in 1 2 3 4 5 6 7 8; do sleep 100 & done',
    ]);
    await m.addProcess(forker.pid);
    forker.go();
    assert.equal(await forker.exit, 0);
    assert.match(forker.output(), /can't fork/);
    const pidsDir = m.paths.pids ?? m.paths.unified!;
    assert.match(read(join(pidsDir, 'pids.events')), /max [1-9]/);
    assert.equal((await m.stats()).pids.current, 3, 'three sleeps remain');
    await m.killAll(constants.signals.SIGKILL);
    await eventually(() => existsSync(pidsDir) && read(join(pidsDir, 'pids.current')) === '0', 'all gone');
    await m.destroy();
    for (const dir of Object.values(m.paths)) assert.ok(!existsSync(dir), `${dir} removed`);
  });

  test(`real ${mode}: a cpu quota is written and throttles a busy loop; stats count real cpu time`, async (t) => {
    const m = manager(t, 'cpu');
    await m.create();
    await m.applyResources({ cpu: { quota: 10000, period: 100000, shares: 256 } });
    const cpuDir = m.paths.cpu ?? m.paths.unified!;
    if (mode === 'v2') assert.equal(read(join(cpuDir, 'cpu.max')), '10000 100000');
    else {
      assert.equal(read(join(cpuDir, 'cpu.cfs_quota_us')), '10000');
      assert.equal(read(join(cpuDir, 'cpu.shares')), '256');
    }
    const spinner = startWorkload(t, [BUSYBOX, 'sh', '-c', 'read x; while :; do :; done']);
    await m.addProcess(spinner.pid);
    spinner.go();
    let stats = await m.stats();
    for (let i = 0; i < 200 && stats.cpu.throttling.throttledPeriods === 0; i++) {
      await sleep(20);
      stats = await m.stats();
    }
    assert.ok(stats.cpu.throttling.throttledPeriods > 0, 'the loop was throttled');
    assert.ok(stats.cpu.usage.total > 0, 'cpu usage is counted');
  });

  test(`real ${mode}: freeze stops every task (state D) and thaw resumes them`, async (t) => {
    const m = manager(t, 'freeze');
    await m.create();
    const spinner = startWorkload(t, [BUSYBOX, 'sh', '-c', 'read x; while :; do :; done']);
    await m.addProcess(spinner.pid);
    spinner.go();
    await eventually(() => procState(spinner.pid) === 'R', 'the loop runs');
    await m.freeze();
    if (m.paths.freezer) assert.equal(read(join(m.paths.freezer, 'freezer.state')), 'FROZEN');
    assert.equal(procState(spinner.pid), 'D');
    const ticks = read(`/proc/${spinner.pid}/stat`).split(') ')[1]!.split(' ')[11];
    await sleep(100);
    assert.equal(
      read(`/proc/${spinner.pid}/stat`).split(') ')[1]!.split(' ')[11],
      ticks,
      'no cpu time while frozen',
    );
    await m.thaw();
    await eventually(() => procState(spinner.pid) === 'R', 'the loop runs again');
  });

  test(`real ${mode}: device rules deny /dev/net/tun by default, allow it when listed`, async (t) => {
    const denied = manager(t, 'devices-deny');
    await denied.create();
    await denied.applyResources({ devices: [] });
    const output = await probeDevices(t, denied);
    assert.match(output, /null-ok/);
    assert.match(output, /can't open \/dev\/net\/tun: Operation not permitted/);
    const allowed = manager(t, 'devices-allow');
    await allowed.create();
    await allowed.applyResources({
      devices: [{ allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }],
    });
    assert.match(await probeDevices(t, allowed), /tun-opened/);
  });

  test(`real ${mode}: a half-made create is undone`, async (t) => {
    const m = createCgroupManager({
      containerId: 'undo',
      cgroupsPath: `${TEST_PARENT}/undo-parent/undo`,
      fs: {
        ...nodeCgroupFs,
        mkdir: async (p) =>
          p.includes('/pids/') ? Promise.reject(new Error('injected')) : nodeCgroupFs.mkdir(p),
      },
      log: createLogger({ level: 'error' }),
    });
    t.after(() => m.destroy().catch(() => undefined));
    await assert.rejects(m.create(), /injected/);
    for (const mount of readdirSync('/sys/fs/cgroup')) {
      assert.ok(!existsSync(`/sys/fs/cgroup/${mount}${TEST_PARENT}/undo-parent`), `${mount} left nothing`);
    }
  });

  if (mode === 'hybrid') {
    // The unified mount here carries only hugetlb, but the v2 core (cgroup.procs, cgroup.freeze,
    // cgroup.events, cgroup.kill, subtree_control) is real: run the v2 manager on it.
    runCgroupManagerSuite('real v2 core (unified mount)', { ...harness(UNIFIED), limitsSupported: false });

    test('real v2 core: hugetlb limits land in hugetlb.<size>.max and freeze reports frozen', async (t) => {
      const m = manager(t, 'hugetlb', UNIFIED);
      assert.equal(m.mode, 'v2');
      await m.create();
      await m.applyResources({ hugepageLimits: [{ pageSize: '2MB', limit: 4 * 2 * MIB }] });
      assert.equal(read(join(m.paths.unified!, 'hugetlb.2MB.max')), String(8 * MIB));
      assert.equal((await m.stats()).hugetlb['2MB']?.max, 8 * MIB);
      const spinner = startWorkload(t, [BUSYBOX, 'sh', '-c', 'read x; while :; do :; done']);
      await m.addProcess(spinner.pid);
      spinner.go();
      await eventually(() => procState(spinner.pid) === 'R', 'the loop runs');
      await m.freeze();
      assert.match(read(join(m.paths.unified!, 'cgroup.events')), /frozen 1/);
      // v2 parks frozen tasks in signal delivery (state S), not in the v1 refrigerator (D).
      assert.equal(read(`/proc/${spinner.pid}/wchan`), 'get_signal');
      const ticks = utime(spinner.pid);
      await sleep(100);
      assert.equal(utime(spinner.pid), ticks, 'no cpu time while frozen');
      await m.thaw();
      assert.match(read(join(m.paths.unified!, 'cgroup.events')), /frozen 0/);
      await eventually(() => procState(spinner.pid) === 'R', 'the loop runs again');
      await m.killAll(constants.signals.SIGKILL);
      assert.equal(await spinner.exit, constants.signals.SIGKILL);
    });

    test('real v2 core: device rules become an eBPF program the kernel enforces; updates replace it', async (t) => {
      const m = manager(t, 'bpf-devices', UNIFIED);
      await m.create();
      await m.applyResources({ devices: [] });
      const denied = await probeDevices(t, m);
      assert.match(denied, /null-ok/);
      assert.match(denied, /can't open \/dev\/net\/tun: Operation not permitted/);
      await m.applyResources({ devices: [{ allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }] });
      assert.match(await probeDevices(t, m), /tun-opened/, 'the old program was detached');
    });

    test('real hybrid: the process joins the unified hierarchy too and hugetlb applies there', async (t) => {
      const m = manager(t, 'hybrid-unified');
      await m.create();
      const sleeper = startWorkload(t);
      await m.addProcess(sleeper.pid);
      await m.applyResources({ hugepageLimits: [{ pageSize: '2MB', limit: 2 * MIB }] });
      assert.match(
        read(`/proc/${sleeper.pid}/cgroup`),
        new RegExp(`^0::${TEST_PARENT}/hybrid-unified$`, 'm'),
      );
      assert.equal(read(join(m.paths.unified!, 'hugetlb.2MB.max')), String(2 * MIB));
      assert.equal((await m.stats()).hugetlb['2MB']?.max, 2 * MIB);
    });
  }
}
