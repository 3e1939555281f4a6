import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { OverlaySnapshotter } from '../../storage/index.ts';
import { type RunRecoveryDeps, recoverRunLeftovers } from './recover.ts';
import { claimRun } from './run-owner.ts';

/** Above any pid_max: no process has it, so its lock counts as a dead holder's. */
const DEAD_PID = 2 ** 31 - 1;

/** Records what recovery asks of the kernel and runtime; the bundles it lists are "mounted". */
function fakeKernel(mounted: string[], failDelete = false) {
  const calls: string[] = [];
  const deps: RunRecoveryDeps = {
    deleteContainer: async (root, id) => {
      calls.push(`delete ${root} ${id}`);
      if (failDelete) throw new Error('cgroup busy');
    },
    unmount: (target) => {
      calls.push(`unmount ${target}`);
    },
    mountinfo: () =>
      mounted.map((m, i) => `${40 + i} 27 0:39 / ${m} rw - overlay overlay rw,lowerdir=/x`).join('\n'),
  };
  return { calls, deps };
}

describe('recoverRunLeftovers', () => {
  let dir: string;
  let stateDir: string;
  let runDir: string;
  let snapshotter: OverlaySnapshotter;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-recover-'));
    stateDir = join(dir, 'state');
    runDir = join(dir, 'run');
    snapshotter = new OverlaySnapshotter(join(stateDir, 'snapshots', 'overlay'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A run as a killed `berth run` leaves it: lock (holder `pid`), record, snapshot, bundle. */
  async function leftRun(
    o: { pid?: number; runDir?: string; lock?: boolean; identity?: string } = {},
  ): Promise<string> {
    const id = randomBytes(32).toString('hex');
    const runs = join(stateDir, 'runs');
    mkdirSync(runs, { recursive: true });
    if (o.lock !== false) {
      // As src/core/file-lock.ts makes them: a symlink naming the holder (pid, then boot id and start time).
      const identity = o.identity === undefined ? '' : ` ${o.identity}`;
      symlinkSync(`${o.pid ?? DEAD_PID}${identity}`, join(runs, `${id}.lock`));
      const record = { runDir: o.runDir ?? runDir, pid: o.pid ?? DEAD_PID };
      writeFileSync(join(runs, `${id}.json`), JSON.stringify(record));
    }
    await snapshotter.prepare(`run-${id}`);
    mkdirSync(join(o.runDir ?? runDir, 'bundles', id, 'rootfs'), { recursive: true });
    return id;
  }

  const snapshotKeys = async () => (await snapshotter.list()).map((s) => s.key);

  it('does nothing, and creates nothing, when no run was left', async () => {
    const { calls, deps } = fakeKernel([]);
    assert.deepEqual(await recoverRunLeftovers({ stateDir, runDir }, deps), { recovered: [], failed: [] });
    assert.deepEqual(calls, []);
    assert.equal(existsSync(stateDir), false);
  });

  it('removes a dead owner’s container, mount, bundle, snapshot, record and lock, in that order', async () => {
    const otherRunDir = join(dir, 'other-run');
    const id = await leftRun({ runDir: otherRunDir });
    const rootfs = join(otherRunDir, 'bundles', id, 'rootfs');
    const { calls, deps } = fakeKernel([rootfs, '/unrelated']);
    const result = await recoverRunLeftovers({ stateDir, runDir }, deps);
    assert.deepEqual(result, { recovered: [id], failed: [] });
    assert.deepEqual(calls, [`delete ${join(otherRunDir, 'containers')} ${id}`, `unmount ${rootfs}`]);
    assert.equal(existsSync(join(otherRunDir, 'bundles', id)), false);
    assert.deepEqual(await snapshotKeys(), []);
    assert.deepEqual(readdirSync(join(stateDir, 'runs')), []);
  });

  it('never touches a run whose owner is alive', async () => {
    const id = await leftRun({ pid: process.ppid });
    const { calls, deps } = fakeKernel([join(runDir, 'bundles', id, 'rootfs')]);
    assert.deepEqual(await recoverRunLeftovers({ stateDir, runDir }, deps), { recovered: [], failed: [] });
    assert.deepEqual(calls, []);
    assert.deepEqual(await snapshotKeys(), [`run-${id}`]);
    assert.deepEqual(readdirSync(join(stateDir, 'runs')).sort(), [`${id}.json`, `${id}.lock`]);
    assert.equal(existsSync(join(runDir, 'bundles', id)), true);
  });

  it('takes a run from an earlier boot whose pid now names a live process', async () => {
    const id = await leftRun({ pid: process.ppid, identity: 'an-earlier-boot 12345' });
    const { calls, deps } = fakeKernel([]);
    assert.deepEqual((await recoverRunLeftovers({ stateDir, runDir }, deps)).recovered, [id]);
    assert.equal(calls.length, 1);
    assert.deepEqual(await snapshotKeys(), []);
    assert.deepEqual(readdirSync(join(stateDir, 'runs')), []);
  });

  it('leaves this process’s own run alone, as a live owner’s', async () => {
    const id = randomBytes(32).toString('hex');
    const owner = await claimRun({ stateDir, id, runDir });
    await snapshotter.prepare(`run-${id}`);
    const { calls, deps } = fakeKernel([]);
    assert.deepEqual((await recoverRunLeftovers({ stateDir, runDir }, deps)).recovered, []);
    assert.deepEqual(calls, []);
    await snapshotter.remove(`run-${id}`);
    await owner.release();
    assert.deepEqual(readdirSync(join(stateDir, 'runs')), []);
  });

  it('recovers a run-<id> snapshot that has no owner lock, in the given run dir', async () => {
    const id = await leftRun({ lock: false });
    const { calls, deps } = fakeKernel([]);
    assert.deepEqual((await recoverRunLeftovers({ stateDir, runDir }, deps)).recovered, [id]);
    assert.deepEqual(calls, [`delete ${join(runDir, 'containers')} ${id}`]);
    assert.equal(existsSync(join(runDir, 'bundles', id)), false);
    assert.deepEqual(await snapshotKeys(), []);
    assert.deepEqual(readdirSync(join(stateDir, 'runs')), []);
  });

  it('ignores snapshots other than run-<id> (image layers, builds)', async () => {
    await snapshotter.prepare('build-0123abcd');
    await snapshotter.prepare('run-not-an-id');
    const { calls, deps } = fakeKernel([]);
    assert.deepEqual((await recoverRunLeftovers({ stateDir, runDir }, deps)).recovered, []);
    assert.deepEqual(calls, []);
    assert.deepEqual((await snapshotKeys()).sort(), ['build-0123abcd', 'run-not-an-id']);
  });

  it('reports a run it cannot clean up, keeps its record and snapshot, and retries next time', async () => {
    const id = await leftRun();
    const failing = fakeKernel([], true);
    const result = await recoverRunLeftovers({ stateDir, runDir }, failing.deps);
    assert.deepEqual(result.recovered, []);
    assert.equal(result.failed.length, 1);
    assert.equal(result.failed[0]!.code, 'ERR_INSTANCE_RUN_RECOVERY');
    assert.match(result.failed[0]!.message, new RegExp(`${id.slice(0, 12)}.*cgroup busy`));
    assert.deepEqual(readdirSync(join(stateDir, 'runs')), [`${id}.json`], 'the lock goes, the record stays');
    assert.deepEqual(await snapshotKeys(), [`run-${id}`]);
    assert.deepEqual((await recoverRunLeftovers({ stateDir, runDir }, fakeKernel([]).deps)).recovered, [id]);
    assert.deepEqual(await snapshotKeys(), []);
    assert.deepEqual(readdirSync(join(stateDir, 'runs')), []);
  });

  it('stops before removing the bundle when the unmount fails', async () => {
    const id = await leftRun();
    const rootfs = join(runDir, 'bundles', id, 'rootfs');
    const { deps } = fakeKernel([rootfs]);
    deps.unmount = () => {
      throw new Error('umount2 EBUSY');
    };
    writeFileSync(join(rootfs, 'data'), 'x');
    const result = await recoverRunLeftovers({ stateDir, runDir }, deps);
    assert.equal(result.failed.length, 1);
    assert.equal(existsSync(join(rootfs, 'data')), true);
    assert.deepEqual(await snapshotKeys(), [`run-${id}`]);
  });
});
