import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBlkio, parseIoStat, readV2Stats } from './stats.ts';

test('parses v1 blkio and v2 io.stat into runc-shaped entries', () => {
  assert.deepEqual(parseBlkio('254:0 Read 4096\n254:0 Write 0\nTotal 4096\n'), [
    { major: 254, minor: 0, op: 'Read', value: 4096 },
    { major: 254, minor: 0, op: 'Write', value: 0 },
  ]);
  assert.deepEqual(parseIoStat('8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n'), {
    ioServiceBytesRecursive: [
      { major: 8, minor: 0, op: 'Read', value: 10 },
      { major: 8, minor: 0, op: 'Write', value: 20 },
    ],
    ioServicedRecursive: [
      { major: 8, minor: 0, op: 'Read', value: 1 },
      { major: 8, minor: 0, op: 'Write', value: 2 },
    ],
  });
});

test('reads v2 statistics in runc units (ns for cpu, max events as failcnt)', async () => {
  const files: Record<string, string> = {
    'cpu.stat':
      'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 7\n',
    'memory.current': '8192\n',
    'memory.max': '65536\n',
    'memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
    'pids.current': '2\n',
    'pids.max': 'max\n',
    'hugetlb.2MB.current': '0\n',
    'hugetlb.2MB.max': '2097152\n',
  };
  const stats = await readV2Stats(async (_c, f) => files[f], ['2MB', '1GB']);
  assert.deepEqual(stats.cpu.usage, { total: 1_500_000, kernel: 500_000, user: 1_000_000 });
  assert.deepEqual(stats.cpu.throttling, { periods: 4, throttledPeriods: 1, throttledTime: 7000 });
  assert.deepEqual(stats.memory.usage, { usage: 8192, max: 0, limit: 65536, failcnt: 3 });
  assert.deepEqual(stats.pids, { current: 2, limit: 0 });
  assert.deepEqual(stats.hugetlb, { '2MB': { usage: 0, max: 2097152, failcnt: 0 } });
});
