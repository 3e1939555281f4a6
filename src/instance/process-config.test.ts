import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../core/index.ts';
import { containerEnv, DEFAULT_PATH, mergeEnv, mergeProcessConfig } from './process-config.ts';

const image = {
  env: ['PATH=/bin', 'LANG=C'],
  entrypoint: ['/entry.sh'],
  cmd: ['serve', '--port', '80'],
  workingDir: '/app',
  user: 'app',
};

test('entrypoint and cmd follow docker: a command replaces Cmd, --entrypoint drops it', () => {
  assert.deepEqual(mergeProcessConfig(image, {}).args, ['/entry.sh', 'serve', '--port', '80']);
  assert.deepEqual(mergeProcessConfig(image, { command: ['status'] }).args, ['/entry.sh', 'status']);
  assert.deepEqual(mergeProcessConfig(image, { entrypoint: 'sh' }).args, ['sh']);
  assert.deepEqual(mergeProcessConfig(image, { entrypoint: 'sh', command: ['-c', 'id'] }).args, [
    'sh',
    '-c',
    'id',
  ]);
  assert.deepEqual(mergeProcessConfig(image, { entrypoint: '', command: ['id'] }).args, ['id']);
  const cmdOnly = { ...image, entrypoint: [] };
  assert.deepEqual(mergeProcessConfig(cmdOnly, {}).args, ['serve', '--port', '80']);
  assert.deepEqual(mergeProcessConfig(cmdOnly, { command: ['echo', 'hi'] }).args, ['echo', 'hi']);
});

test('no entrypoint and no command is an error', () => {
  const empty = { ...image, entrypoint: [], cmd: [] };
  assert.throws(
    () => mergeProcessConfig(empty, {}),
    (err) => err instanceof BerthError && err.code === 'ERR_INSTANCE_NO_COMMAND',
  );
  assert.throws(() => mergeProcessConfig(image, { entrypoint: '' }), /no command specified/);
});

test('workdir and user: the caller wins, then the image, then / and root', () => {
  assert.equal(mergeProcessConfig(image, {}).cwd, '/app');
  assert.equal(mergeProcessConfig(image, { workdir: '/tmp' }).cwd, '/tmp');
  assert.equal(mergeProcessConfig({ ...image, workingDir: '' }, {}).cwd, '/');
  assert.equal(mergeProcessConfig(image, {}).user, 'app');
  assert.equal(mergeProcessConfig(image, { user: '0:0' }).user, '0:0');
  assert.equal(mergeProcessConfig({ ...image, user: '' }, {}).user, '');
});

test('-e replaces by name in place, adds new ones, and KEY alone takes the caller value', () => {
  const env = mergeEnv(['PATH=/bin', 'LANG=C'], ['LANG=fr', 'NEW=1', 'FROM_CALLER', 'UNSET', 'EMPTY='], {
    FROM_CALLER: 'x',
  });
  assert.deepEqual(env, ['PATH=/bin', 'LANG=fr', 'NEW=1', 'FROM_CALLER=x', 'EMPTY=']);
  assert.throws(
    () => mergeEnv([], ['=x'], {}),
    (err) => err instanceof BerthError && err.code === 'ERR_INSTANCE_INVALID_ENV',
  );
});

test('the container env gets PATH when missing, HOSTNAME and HOME', () => {
  assert.deepEqual(containerEnv(['A=1'], { hostname: 'abc', home: '/root' }), [
    DEFAULT_PATH,
    'A=1',
    'HOSTNAME=abc',
    'HOME=/root',
  ]);
  assert.deepEqual(containerEnv(['PATH=/x', 'HOME=/h', 'HOSTNAME=n'], { hostname: 'abc' }), [
    'PATH=/x',
    'HOME=/h',
    'HOSTNAME=n',
  ]);
  assert.deepEqual(containerEnv(['PATH=/x'], { hostname: 'abc' }), ['PATH=/x', 'HOSTNAME=abc', 'HOME=/']);
});
