import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RootModel } from './root-model.ts';

describe('RootModel.resolveDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-root-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('follows symlinks found on disk but keeps them inside the root', () => {
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    symlinkSync('usr/bin', join(root, 'bin'));
    symlinkSync('/', join(root, 'up'));
    symlinkSync('../../../..', join(root, 'usr/dots'));
    const model = new RootModel(root, false);
    assert.equal(model.resolveDir(['bin'], 'e'), 'usr/bin');
    assert.equal(model.resolveDir(['up', 'up', 'usr'], 'e'), 'usr');
    assert.equal(model.resolveDir(['usr', 'dots', 'etc'], 'e'), 'etc');
  });

  it('follows symlinks the unpack recorded without touching the disk', () => {
    const model = new RootModel(root, true);
    model.set('a', { kind: 'symlink', created: true, target: '/b' });
    assert.equal(model.resolveDir(['a', 'c'], 'e'), 'b/c', 'missing parents are created');
  });

  it('refuses loops and non-directory parents', () => {
    const model = new RootModel(root, true);
    model.set('l1', { kind: 'symlink', created: true, target: 'l2' });
    model.set('l2', { kind: 'symlink', created: true, target: 'l1' });
    model.set('f', { kind: 'other', created: true });
    assert.throws(() => model.resolveDir(['l1'], 'e'), { code: 'ERR_IMAGE_LAYER_UNSAFE', message: /levels/ });
    assert.throws(() => model.resolveDir(['f', 'x'], 'e'), {
      code: 'ERR_IMAGE_LAYER_UNSAFE',
      message: /not a directory/,
    });
  });
});
