import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { BerthError, createLogger } from '../../core/index.ts';
import { createCgroupManager } from './index.ts';
import { type SimulatedTreeOptions, simulateCgroupTree } from './testkit.ts';

function setup(t: TestContext, tree: SimulatedTreeOptions, cgroupsPath = '/berth/c1') {
  const sim = simulateCgroupTree(tree);
  t.after(() => sim.remove());
  const warnings: string[] = [];
  const log = createLogger({ level: 'warn', write: (line) => warnings.push(JSON.parse(line).msg) });
  const m = createCgroupManager({
    containerId: 'c1',
    cgroupsPath,
    root: sim.root,
    mountinfo: sim.mountinfo,
    procCgroup: sim.procCgroup,
    fs: sim.fs,
    signal: sim.signal,
    hugePageSizes: ['2MB'],
    log,
  });
  return { tree: sim, m, warnings };
}

const isCode = (code: string) => (err: unknown) => err instanceof BerthError && err.code === code;

test('v1 makes one directory per hierarchy; co-mounted cpu,cpuacct share one', async (t) => {
  const { tree, m } = setup(t, { mode: 'v1' });
  await m.create();
  assert.equal(m.mode, 'v1');
  assert.equal(m.paths.cpu, `${tree.root}/cpu,cpuacct/berth/c1`);
  assert.equal(m.paths.cpuacct, m.paths.cpu);
  assert.equal(m.paths['name=systemd'], `${tree.root}/systemd/berth/c1`);
  await m.addProcess(77);
  const procs = tree.writes.filter((w) => w.endsWith('cgroup.procs: 77'));
  assert.equal(procs.length, 8, 'one write per hierarchy');
});

test('v1 copies cpuset.cpus/mems into new ancestors before tasks can join', async (t) => {
  const { tree, m } = setup(t, { mode: 'v1' });
  await m.create();
  assert.deepEqual(
    tree.writes.filter((w) => w.startsWith('cpuset/')),
    [
      'cpuset/berth/cpuset.cpus: 0-1',
      'cpuset/berth/cpuset.mems: 0',
      'cpuset/berth/c1/cpuset.cpus: 0-1',
      'cpuset/berth/c1/cpuset.mems: 0',
    ],
  );
});

test('v1 devices: deny all, then the rules in order, then the default allow list', async (t) => {
  const { tree, m } = setup(t, { mode: 'v1' });
  await m.create();
  tree.writes.length = 0;
  await m.applyResources({
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
    ],
  });
  const lines = tree.writes.map((w) => w.replace('devices/berth/c1/', ''));
  assert.deepEqual(lines.slice(0, 4), [
    'devices.deny: a *:* rwm',
    'devices.deny: a *:* rwm',
    'devices.allow: c 10:200 rwm',
    'devices.allow: c *:* m',
  ]);
  assert.ok(lines.includes('devices.allow: c 1:3 rwm') && lines.includes('devices.allow: c 136:* rwm'));
  await assert.rejects(
    m.applyResources({ devices: [{ allow: true, access: 'rwx' }] }),
    isCode('ERR_RUNTIME_CGROUP_DEVICE_RULE'),
  );
});

test('v1 memory: memsw is raised before the limit when growing, after it when shrinking', async (t) => {
  const { tree, m } = setup(t, { mode: 'v1', withSwapAccounting: true });
  await m.create();
  const memory = () =>
    tree.writes.filter((w) => w.startsWith('memory/')).map((w) => w.replace('memory/berth/c1/', ''));
  tree.writes.length = 0;
  await m.applyResources({
    memory: { limit: 8192, swap: 16384, reservation: 4096, swappiness: 10, disableOOMKiller: true },
  });
  assert.deepEqual(memory(), [
    'memory.limit_in_bytes: 8192',
    'memory.memsw.limit_in_bytes: 16384',
    'memory.soft_limit_in_bytes: 4096',
    'memory.swappiness: 10',
    'memory.oom_control: 1',
  ]);
  tree.writes.length = 0;
  await m.applyResources({ memory: { limit: 65536, swap: 131072 } });
  assert.deepEqual(memory(), ['memory.memsw.limit_in_bytes: 131072', 'memory.limit_in_bytes: 65536']);
  await assert.rejects(
    m.applyResources({ memory: { swappiness: 101 } }),
    isCode('ERR_RUNTIME_CGROUP_RESOURCE'),
  );
});

test('v1 without swap accounting ignores a swap limit with a warning', async (t) => {
  const { tree, m, warnings } = setup(t, { mode: 'v1' });
  await m.create();
  await m.applyResources({ memory: { limit: 8192, swap: 16384 } });
  assert.ok(!tree.writes.some((w) => w.includes('memsw')));
  assert.ok(warnings.some((w) => w.includes('no swap accounting')));
});

test('v1 cpu, pids and blkio (BFQ weight when blkio.weight is absent)', async (t) => {
  const { tree, m } = setup(t, { mode: 'v1' });
  await m.create();
  tree.writes.length = 0;
  await m.applyResources({
    cpu: { shares: 512, quota: 20000, period: 100000 },
    pids: { limit: 42 },
    blockIO: { weight: 300, throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1000 }] },
  });
  assert.deepEqual(tree.writes, [
    'cpu,cpuacct/berth/c1/cpu.shares: 512',
    'cpu,cpuacct/berth/c1/cpu.cfs_period_us: 100000',
    'cpu,cpuacct/berth/c1/cpu.cfs_quota_us: 20000',
    'pids/berth/c1/pids.max: 42',
    'blkio/berth/c1/blkio.bfq.weight: 300',
    'blkio/berth/c1/blkio.throttle.read_bps_device: 254:0 1000',
  ]);
});

test('v1 names what it cannot set: an unmounted controller, a missing file, unified keys', async (t) => {
  const { m } = setup(t, { mode: 'v1' });
  await m.create();
  await assert.rejects(
    m.applyResources({ hugepageLimits: [{ pageSize: '2MB', limit: 0 }] }),
    (err: unknown) =>
      isCode('ERR_RUNTIME_CGROUP_UNSUPPORTED')(err) &&
      /hugetlb cgroup hierarchy is not mounted/.test(String(err)),
  );
  await assert.rejects(m.applyResources({ blockIO: { leafWeight: 10 } }), (err: unknown) => {
    assert.ok(err instanceof BerthError && err.code === 'ERR_RUNTIME_CGROUP_WRITE');
    assert.match(err.message, /^write 10 to \/.*\/blkio\/berth\/c1\/blkio\.leaf_weight: ENOENT$/);
    return true;
  });
  await assert.rejects(
    m.applyResources({ unified: { 'memory.high': '1' } }),
    isCode('ERR_RUNTIME_CGROUP_UNSUPPORTED'),
  );
});

test('hybrid puts hugetlb limits and unified keys on the unified hierarchy', async (t) => {
  const { tree, m } = setup(t, { mode: 'hybrid' });
  await m.create();
  assert.equal(m.mode, 'hybrid');
  assert.equal(m.paths.unified, `${tree.root}/unified/berth/c1`);
  await m.addProcess(5);
  assert.ok(tree.writes.includes('unified/berth/c1/cgroup.procs: 5'));
  tree.writes.length = 0;
  await m.applyResources({ devices: [], hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] });
  assert.ok(tree.writes.includes('unified/berth/c1/hugetlb.2MB.max: 4194304'));
  assert.ok(tree.writes.some((w) => w.startsWith('devices/berth/c1/devices.deny')));
  await m.killAll(9);
  await m.destroy();
  assert.ok(!(await tree.fs.exists(`${tree.root}/unified/berth/c1`)));
});

test('v1 freeze writes FROZEN and a failed create undoes every hierarchy', async (t) => {
  const { tree, m } = setup(t, { mode: 'v1' });
  await m.create();
  await m.freeze();
  assert.equal(tree.read(`${tree.root}/freezer/berth/c1/freezer.state`).trim(), 'FROZEN');
  await m.killAll(15);
  assert.equal(
    tree.read(`${tree.root}/freezer/berth/c1/freezer.state`).trim(),
    'FROZEN',
    'paused stays paused',
  );
  await m.killAll(9);
  assert.equal(
    tree.read(`${tree.root}/freezer/berth/c1/freezer.state`).trim(),
    'THAWED',
    'SIGKILL needs a thaw on v1',
  );

  const broken = setup(t, { mode: 'v1' }, '/new/c2');
  const mkdir = broken.tree.fs.mkdir;
  broken.tree.fs.mkdir = async (path) => {
    if (path.includes('/pids/')) throw new Error('injected failure');
    return mkdir(path);
  };
  await assert.rejects(broken.m.create(), /injected failure/);
  for (const h of ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio']) {
    assert.ok(!(await broken.tree.fs.exists(`${broken.tree.root}/${h}/new`)), `${h}/new removed`);
  }
});

test('relative cgroupsPath resolves under the runtime’s own cgroup in each hierarchy', async (t) => {
  const { tree, m } = setup(t, { mode: 'hybrid' }, 'ctr/c1');
  assert.equal(m.paths.cpu, `${tree.root}/cpu,cpuacct/ctr/c1`);
  assert.equal(m.paths.unified, `${tree.root}/unified/user.slice/ctr/c1`);
});
