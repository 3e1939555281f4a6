import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asBerthError, BerthError, diskFullError, isDiskFull, isErrno, SyscallError } from './errors.ts';

describe('BerthError', () => {
  it('carries a stable code, category, message, hint and cause', () => {
    const cause = new Error('disk on fire');
    const err = new BerthError({
      code: 'ERR_IMAGE_NOT_FOUND',
      category: 'NotFound',
      message: 'image busybox:latest not found',
      hint: "pull it with 'berth pull busybox'",
      cause,
    });
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'ERR_IMAGE_NOT_FOUND');
    assert.equal(err.category, 'NotFound');
    assert.equal(err.message, 'image busybox:latest not found');
    assert.equal(err.hint, "pull it with 'berth pull busybox'");
    assert.equal(err.cause, cause);
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      code: 'ERR_IMAGE_NOT_FOUND',
      category: 'NotFound',
      message: 'image busybox:latest not found',
      hint: "pull it with 'berth pull busybox'",
    });
  });

  it('rejects codes that do not follow ERR_<DOMAIN>_<WHAT>', () => {
    for (const code of ['IMAGE_NOT_FOUND', 'ERR_', 'ERR_image_x', 'ERR_ONE']) {
      assert.throws(() => new BerthError({ code, category: 'Internal', message: 'x' }), /invalid error code/);
    }
  });

  it('omits an absent hint from JSON', () => {
    const err = new BerthError({ code: 'ERR_X_Y', category: 'Conflict', message: 'm' });
    assert.deepEqual(err.toJSON(), { code: 'ERR_X_Y', category: 'Conflict', message: 'm' });
  });
});

describe('SyscallError', () => {
  it('names the step, path and errno in its message', () => {
    const err = new SyscallError({
      syscall: 'mount',
      errno: 'EINVAL',
      path: '/run/berth/x/rootfs',
      step: 'mount overlay on',
    });
    assert.equal(err.message, 'mount overlay on /run/berth/x/rootfs: EINVAL');
    assert.equal(err.code, 'ERR_SYSCALL_FAILED');
    assert.equal(err.syscall, 'mount');
    assert.equal(err.errno, 'EINVAL');
    assert.equal(err.category, 'InvalidArgument');
  });

  it('maps errno to a category', () => {
    const category = (errno: string) => new SyscallError({ syscall: 'open', errno }).category;
    assert.equal(category('ENOENT'), 'NotFound');
    assert.equal(category('EEXIST'), 'AlreadyExists');
    assert.equal(category('EPERM'), 'FailedPrecondition');
    assert.equal(category('EBUSY'), 'Conflict');
    assert.equal(category('EIO'), 'Internal');
  });
});

describe('asBerthError', () => {
  it('passes BerthErrors through and wraps anything else as internal', () => {
    const own = new BerthError({ code: 'ERR_A_B', category: 'Conflict', message: 'm' });
    assert.equal(asBerthError(own), own);
    const wrapped = asBerthError(new TypeError('boom'));
    assert.equal(wrapped.code, 'ERR_INTERNAL_UNEXPECTED');
    assert.equal(wrapped.message, 'boom');
    assert.equal(asBerthError('text').message, 'text');
  });

  it('reports a full disk as ERR_DISK_FULL naming the path, not as an internal error', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
    });
    const bare = asBerthError(enospc);
    assert.deepEqual([bare.code, bare.category], ['ERR_DISK_FULL', 'FailedPrecondition']);
    assert.equal(bare.message, 'no space left on device writing (write)');
    const withPath = asBerthError(Object.assign(enospc, { path: '/state/x.tmp' }));
    assert.equal(withPath.message, 'no space left on device writing /state/x.tmp');
    assert.match(withPath.hint ?? '', /berth image prune/);
    const named = diskFullError('layer sha256:ab', enospc);
    assert.deepEqual([named.what, named.code, isDiskFull(named)], ['layer sha256:ab', 'ERR_DISK_FULL', true]);
    assert.equal(isDiskFull(new SyscallError({ syscall: 'mkdir', errno: 'ENOSPC' })), true);
    assert.equal(isDiskFull(Object.assign(new Error('q'), { code: 'EDQUOT' })), true);
    assert.equal(isDiskFull(new Error('x')), false);
  });

  it('recognises Node system errors by code', () => {
    assert.equal(isErrno(Object.assign(new Error('x'), { code: 'ENOENT' }), 'ENOENT'), true);
    assert.equal(isErrno(new Error('x'), 'ENOENT'), false);
    assert.equal(isErrno(null, 'ENOENT'), false);
  });
});
