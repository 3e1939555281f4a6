import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../core/index.ts';
import { detectCgroupMode } from './index.ts';
import { ownCgroupIn, parseHierarchies } from './mountinfo.ts';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const V2 = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n';
const V1 = HYBRID.split('\n').slice(0, 4).join('\n');

test('detects v1, hybrid and v2 layouts', () => {
  assert.equal(detectCgroupMode(HYBRID), 'hybrid');
  assert.equal(detectCgroupMode(V2), 'v2');
  assert.equal(detectCgroupMode(V1), 'v1');
  assert.throws(
    () => detectCgroupMode('1 0 8:1 / / rw - ext4 /dev/vda rw\n'),
    (err: unknown) => err instanceof BerthError && err.code === 'ERR_RUNTIME_CGROUP_NOT_MOUNTED',
  );
});

test('parses controllers, co-mounts and named hierarchies', () => {
  const h = parseHierarchies(HYBRID, '/sys/fs/cgroup');
  assert.deepEqual(
    h.map((x) => [x.version, x.mountPoint, x.controllers.join(',')]),
    [
      [1, '/sys/fs/cgroup/cpu,cpuacct', 'cpu,cpuacct'],
      [1, '/sys/fs/cgroup/memory', 'memory'],
      [1, '/sys/fs/cgroup/systemd', 'name=systemd'],
      [2, '/sys/fs/cgroup/unified', ''],
    ],
  );
  const own = '4:memory:/process_api/x\n1:name=systemd:/\n0::/init.scope\n';
  assert.equal(ownCgroupIn(own, h[1]!), '/process_api/x');
  assert.equal(ownCgroupIn(own, h[3]!), '/init.scope');
  assert.equal(ownCgroupIn(own, h[0]!), '/');
});
