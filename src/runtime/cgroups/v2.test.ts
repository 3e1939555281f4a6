import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { BerthError, createLogger } from '../../core/index.ts';
import { blkioWeightToIoWeight, createCgroupManager, sharesToWeight, swapToV2 } from './index.ts';
import { simulateCgroupTree } from './testkit.ts';

function setup(t: TestContext, cgroupsPath = '/berth/c1') {
  const tree = simulateCgroupTree({ mode: 'v2' });
  t.after(() => tree.remove());
  const warnings: string[] = [];
  const log = createLogger({ level: 'warn', write: (line) => warnings.push(JSON.parse(line).msg) });
  const programs: { dir: string; program: Buffer }[] = [];
  const m = createCgroupManager({
    deviceFilter: { replace: (dir, program) => programs.push({ dir, program }) },
    containerId: 'c1',
    cgroupsPath,
    root: tree.root,
    mountinfo: tree.mountinfo,
    fs: tree.fs,
    signal: tree.signal,
    hugePageSizes: ['2MB'],
    log,
  });
  return { tree, m, warnings, programs };
}

const isCode = (code: string) => (err: unknown) => err instanceof BerthError && err.code === code;

test('conversions match runc: shares → weight, blkio weight → io.weight, OCI swap → swap.max', () => {
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(blkioWeightToIoWeight(10), 1);
  assert.equal(blkioWeightToIoWeight(500), 4950);
  assert.equal(blkioWeightToIoWeight(1000), 10000);
  assert.equal(swapToV2(200, 100), 100);
  assert.equal(swapToV2(100, 100), 0);
  assert.equal(swapToV2(-1, 100), -1);
  assert.equal(swapToV2(0, -1), -1);
  assert.equal(swapToV2(undefined, 100), undefined);
  assert.throws(() => swapToV2(100, undefined), isCode('ERR_RUNTIME_CGROUP_RESOURCE'));
});

test('v2 create enables the root controllers in every ancestor, not in the leaf', async (t) => {
  const { tree, m } = setup(t);
  await m.create();
  assert.equal(m.path, '/berth/c1');
  assert.deepEqual(tree.writes, [
    'cgroup.subtree_control: +memory +cpu +cpuset +pids +io +hugetlb',
    'berth/cgroup.subtree_control: +memory +cpu +cpuset +pids +io +hugetlb',
  ]);
  assert.equal(
    tree.read(`${tree.root}/berth/c1/cgroup.controllers`).trim(),
    'memory cpu cpuset pids io hugetlb',
  );
});

test('v2 resources are written to the v2 files with the v2 values', async (t) => {
  const { tree, m, programs } = setup(t);
  await m.create();
  tree.writes.length = 0;
  await m.applyResources({
    memory: { limit: 100 * 4096, swap: 300 * 4096, reservation: 50 * 4096 },
    cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0', mems: '0' },
    pids: { limit: 0 },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }],
    unified: { 'memory.high': '300000' },
    devices: [{ allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }],
  });
  const leaf = (s: string) => `berth/c1/${s}`;
  assert.deepEqual(tree.writes, [
    leaf('memory.swap.max: 819200'),
    leaf('memory.max: 409600'),
    leaf('memory.low: 204800'),
    leaf('cpu.weight: 39'),
    leaf('cpu.max: 50000 100000'),
    leaf('cpuset.cpus: 0'),
    leaf('cpuset.mems: 0'),
    leaf('pids.max: max'),
    leaf('io.weight: 4950'),
    leaf('io.max: 8:0 rbps=1048576'),
    leaf('hugetlb.2MB.max: 2097152'),
    leaf('memory.high: 300000'),
  ]);
  assert.equal(programs.length, 1, 'device rules become one eBPF program');
  assert.equal(programs[0]?.dir, `${tree.root}/berth/c1`);
  assert.equal(programs[0]!.program.length % 8, 0);
  await m.applyResources({ pids: { limit: 5 } });
  assert.equal(programs.length, 1, 'an update without devices leaves the program alone');
});

test('v2 quota alone keeps the default period; period alone means no quota', async (t) => {
  const { tree, m } = setup(t);
  await m.create();
  await m.applyResources({ cpu: { quota: 20000 } });
  await m.applyResources({ cpu: { period: 50000 } });
  assert.deepEqual(tree.writes.slice(-2), ['berth/c1/cpu.max: 20000', 'berth/c1/cpu.max: max 50000']);
});

test('v2 refuses what it cannot take, naming it', async (t) => {
  const { m } = setup(t);
  await m.create();
  await assert.rejects(
    m.applyResources({ cpu: { realtimeRuntime: 1000 } }),
    isCode('ERR_RUNTIME_CGROUP_UNSUPPORTED'),
  );
  await assert.rejects(
    m.applyResources({ unified: { '../x.max': '1' } }),
    isCode('ERR_RUNTIME_CGROUP_RESOURCE'),
  );
  await assert.rejects(m.applyResources({ unified: { 'rdma.max': 'x' } }), /rdma controller is not enabled/);
  await assert.rejects(m.applyResources({ unified: { 'memory.bogus': '1' } }), (err: unknown) => {
    assert.ok(err instanceof BerthError);
    assert.equal(err.code, 'ERR_RUNTIME_CGROUP_WRITE');
    assert.match(err.message, /^write 1 to \/.*\/berth\/c1\/memory\.bogus: ENOENT$/);
    return true;
  });
});

test('v2 freeze waits for cgroup.events to say frozen', async (t) => {
  const { tree, m } = setup(t);
  await m.create();
  await m.freeze();
  assert.match(tree.read(`${tree.root}/berth/c1/cgroup.events`), /frozen 1/);
  await m.thaw();
  assert.match(tree.read(`${tree.root}/berth/c1/cgroup.events`), /frozen 0/);
});

test('v2 killAll with SIGKILL uses cgroup.kill; other signals go to each pid while frozen', async (t) => {
  const { tree, m } = setup(t);
  await m.create();
  await m.addProcess(11);
  await m.addProcess(12);
  await m.killAll(15);
  assert.deepEqual(tree.signals, ['11:15', '12:15']);
  assert.ok(
    tree.writes.includes('berth/c1/cgroup.freeze: 1') && tree.writes.includes('berth/c1/cgroup.freeze: 0'),
  );
  await m.freeze();
  await m.killAll(15);
  assert.match(tree.read(`${tree.root}/berth/c1/cgroup.events`), /frozen 1/, 'a paused cgroup stays paused');
  await m.thaw();
  await m.addProcess(13);
  await m.killAll(9);
  assert.ok(tree.writes.includes('berth/c1/cgroup.kill: 1'));
  assert.deepEqual(await m.pids(), []);
});

test('v2 destroy removes nested cgroups; a failed create removes what it made', async (t) => {
  const { tree, m } = setup(t, '/a/b/c');
  await m.create();
  await tree.fs.mkdir(`${tree.root}/a/b/c/nested`);
  await m.destroy();
  assert.ok(!(await tree.fs.exists(`${tree.root}/a/b/c`)));

  const broken = setup(t, '/x/y');
  const mkdir = broken.tree.fs.mkdir;
  broken.tree.fs.mkdir = async (path) => {
    if (path.endsWith('/x/y')) throw new Error('injected failure');
    return mkdir(path);
  };
  await assert.rejects(broken.m.create(), /injected failure/);
  assert.ok(!(await broken.tree.fs.exists(`${broken.tree.root}/x`)));
});
