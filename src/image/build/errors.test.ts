import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError, DiskFullError, diskFullError } from '../../core/index.ts';
import { diskFullInStep, stepName } from './errors.ts';

const ins = { keyword: 'COPY', original: 'COPY big /data/big', line: 4 } as Parameters<typeof stepName>[1];
const step = stepName({ step: 2, total: 3, file: 'Containerfile' }, ins);

describe('diskFullInStep', () => {
  it('adds the step to what a full disk names', () => {
    const err = diskFullInStep(diskFullError('/data/big', new Error('ENOSPC')), step);
    assert.ok(err instanceof DiskFullError);
    assert.equal(
      err.message,
      "no space left on device writing /data/big in step 2/3 'COPY big /data/big' (Containerfile:4)",
    );
  });

  it('names the path of a write nobody named', () => {
    const raw = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', path: '/s/x' });
    const err = diskFullInStep(raw, step) as DiskFullError;
    assert.equal(err.code, 'ERR_DISK_FULL');
    assert.equal(err.what, `/s/x in ${step}`);
    assert.equal(err.cause, raw);
  });

  it('passes other errors through unchanged', () => {
    const other = new BerthError({
      code: 'ERR_IMAGE_BUILD_SYNTAX',
      category: 'InvalidArgument',
      message: 'x',
    });
    assert.equal(diskFullInStep(other, step), other);
  });
});
