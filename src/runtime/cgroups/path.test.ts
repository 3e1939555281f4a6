import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../core/index.ts';
import { expandSlice, resolveCgroupPath } from './path.ts';

const bad = (err: unknown) => err instanceof BerthError && err.code === 'ERR_RUNTIME_CGROUP_PATH';

test('cgroupsPath: absent, absolute, relative', () => {
  assert.deepEqual(resolveCgroupPath({ containerId: 'abc' }), { path: '/berth/abc', relative: false });
  assert.deepEqual(resolveCgroupPath({ containerId: 'x', cgroupsPath: '/a//b/' }), {
    path: '/a/b',
    relative: false,
  });
  assert.deepEqual(resolveCgroupPath({ containerId: 'x', cgroupsPath: 'a/b' }), {
    path: 'a/b',
    relative: true,
  });
});

test('cgroupsPath: escapes and the root are refused', () => {
  assert.throws(() => resolveCgroupPath({ containerId: 'x', cgroupsPath: '/a/../../etc' }), bad);
  assert.throws(() => resolveCgroupPath({ containerId: 'x', cgroupsPath: '../x' }), bad);
  assert.throws(() => resolveCgroupPath({ containerId: 'x', cgroupsPath: '/' }), bad);
  assert.throws(() => resolveCgroupPath({ containerId: 'x', cgroupsPath: '/a\0b' }), bad);
});

test('systemd slice:prefix:name maps to the cgroupfs layout systemd uses', () => {
  const sd = (cgroupsPath?: string) =>
    resolveCgroupPath({ containerId: 'id1', cgroupsPath, systemd: true }).path;
  assert.equal(sd('system.slice:docker:abc'), '/system.slice/docker-abc.scope');
  assert.equal(
    sd('machine-a-b.slice:libpod:abc'),
    '/machine.slice/machine-a.slice/machine-a-b.slice/libpod-abc.scope',
  );
  assert.equal(sd(':berth:abc'), '/system.slice/berth-abc.scope');
  assert.equal(sd(), '/system.slice/berth-id1.scope');
  assert.equal(sd('-.slice:x:y'), '/x-y.scope');
  assert.equal(sd('system.slice::my.slice'), '/my.slice');
  assert.throws(() => sd('/berth/x'), bad);
  assert.throws(() => sd('system.slice:a:b/c'), bad);
  assert.throws(() => expandSlice('a--b.slice'), bad);
  assert.throws(() => expandSlice('nope'), bad);
});
