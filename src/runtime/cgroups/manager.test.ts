import { after } from 'node:test';
import { createLogger } from '../../core/index.ts';
import { createCgroupManager } from './index.ts';
import { runCgroupManagerSuite } from './suite.ts';
import { type SimulatedTree, simulateCgroupTree } from './testkit.ts';

let nextPid = 4000;

function simulatedHarness(tree: SimulatedTree) {
  return {
    manager(t: { after(fn: () => Promise<void>): void }, name: string) {
      const m = createCgroupManager({
        containerId: name,
        cgroupsPath: `/berth-test/${name}`,
        root: tree.root,
        mountinfo: tree.mountinfo,
        fs: tree.fs,
        signal: tree.signal,
        hugePageSizes: ['2MB'],
        log: createLogger({ level: 'error' }),
      });
      t.after(async () => {
        await m.killAll(9).catch(() => undefined);
        await m.destroy();
      });
      return m;
    },
    async startProcess() {
      return nextPid++;
    },
    async exited(pid: number) {
      const hit = tree.signals.find((s) => s.startsWith(`${pid}:`));
      if (hit === undefined) throw new Error(`process ${pid} was not signalled`);
      return Number(hit.split(':')[1]);
    },
  };
}

for (const mode of ['v1', 'v2', 'hybrid'] as const) {
  const tree = simulateCgroupTree({ mode, withSwapAccounting: true });
  after(() => tree.remove());
  runCgroupManagerSuite(`simulated ${mode}`, simulatedHarness(tree));
}
