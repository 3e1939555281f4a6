import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DiskFullError } from '../../core/index.ts';
import { appendVerified } from './verify.ts';

describe('appendVerified on a full disk', () => {
  it('fails with ERR_DISK_FULL naming the blob and the file (/dev/full answers ENOSPC)', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const chunks = [Buffer.alloc(3 * 1024 * 1024, 1)];
      const err = await appendVerified(fd, chunks, {
        start: 0,
        what: 'layer sha256:ab',
        file: '/state/content/ingest/ab.partial',
      }).then(
        () => assert.fail('the write succeeded'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof DiskFullError, String(err));
      assert.equal(err.code, 'ERR_DISK_FULL');
      assert.equal(
        err.message,
        'no space left on device writing layer sha256:ab to /state/content/ingest/ab.partial',
      );
    } finally {
      closeSync(fd);
    }
  });
});
