// The behaviour every CgroupManager must show, run by the unit tests against simulated v1, v2
// and hybrid trees and by the integration tests against the real kernel.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import { BerthError } from '../../core/index.ts';
import type { CgroupManager } from './types.ts';

export interface CgroupHarness {
  /** A manager for a new, unique cgroup; the harness destroys it after the test. */
  manager(t: TestContext, name: string): CgroupManager;
  /** Starts a process to place in cgroups; the harness kills it after the test. */
  startProcess(t: TestContext): Promise<number>;
  /** Resolves with the signal number that ended the process. */
  exited(pid: number): Promise<number>;
  /** False where memory/pids controllers are absent (the unified mount of a hybrid host). */
  limitsSupported?: boolean;
}

const MIB = 1024 * 1024;
const SIGKILL = 9;
const SIGTERM = 15;

/** Registers the shared manager tests under `name`. */
export function runCgroupManagerSuite(name: string, harness: CgroupHarness): void {
  test(`${name}: create makes the cgroup in every hierarchy, destroy removes it (twice is fine)`, async (t) => {
    const m = harness.manager(t, 'lifecycle');
    await m.create();
    const dirs = [...new Set(Object.values(m.paths))];
    assert.ok(dirs.length > 0);
    for (const dir of dirs) assert.ok(existsSync(dir), `${dir} exists`);
    await m.destroy();
    for (const dir of dirs) assert.ok(!existsSync(dir), `${dir} is gone`);
    await m.destroy();
  });

  test(`${name}: addProcess places a process, pids lists it`, async (t) => {
    const m = harness.manager(t, 'procs');
    await m.create();
    const pid = await harness.startProcess(t);
    await m.addProcess(pid);
    assert.deepEqual(await m.pids(), [pid]);
  });

  const limits = { skip: harness.limitsSupported === false ? 'no memory/pids controllers here' : false };
  test(`${name}: memory and pids limits read back through stats`, limits, async (t) => {
    const m = harness.manager(t, 'limits');
    await m.create();
    await m.applyResources({ memory: { limit: 64 * MIB }, pids: { limit: 20 } });
    const stats = await m.stats();
    assert.equal(stats.memory.usage.limit, 64 * MIB);
    assert.equal(stats.pids.limit, 20);
    await m.applyResources({ pids: { limit: -1 } });
    assert.equal((await m.stats()).pids.limit, 0, 'unlimited reads as 0, like runc');
  });

  test(`${name}: a swap limit below the memory limit is refused`, limits, async (t) => {
    const m = harness.manager(t, 'badswap');
    await m.create();
    await assert.rejects(
      m.applyResources({ memory: { limit: 64 * MIB, swap: 32 * MIB } }),
      (err: unknown) => err instanceof BerthError && err.code === 'ERR_RUNTIME_CGROUP_RESOURCE',
    );
  });

  test(`${name}: freeze and thaw a running process`, async (t) => {
    const m = harness.manager(t, 'freeze');
    await m.create();
    await m.addProcess(await harness.startProcess(t));
    await m.freeze();
    await m.thaw();
  });

  test(`${name}: killAll signals every process, then the cgroup can be removed`, async (t) => {
    const m = harness.manager(t, 'kill');
    await m.create();
    const pids = [await harness.startProcess(t), await harness.startProcess(t)];
    for (const pid of pids) await m.addProcess(pid);
    await m.killAll(SIGTERM);
    for (const pid of pids) assert.equal(await harness.exited(pid), SIGTERM);
    const more = await harness.startProcess(t);
    await m.addProcess(more);
    await m.killAll(SIGKILL);
    assert.equal(await harness.exited(more), SIGKILL);
    await m.destroy();
    for (const dir of Object.values(m.paths)) assert.ok(!existsSync(dir));
  });
}
