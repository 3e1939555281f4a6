import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMountInfo } from './mountinfo.ts';

describe('parseMountInfo', () => {
  it('parses fields, optional tags and octal escapes', () => {
    const [m] = parseMountInfo(
      '36 35 98:0 /mnt1 /mnt/my\\040disk rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n',
    );
    assert.deepEqual(m, {
      root: '/mnt1',
      mountPoint: '/mnt/my disk',
      options: ['rw', 'noatime'],
      fsType: 'ext3',
      source: '/dev/root',
      superOptions: ['rw', 'errors=continue'],
    });
  });

  it('skips lines without the separator or the fields after it', () => {
    const text = '1 0 8:1 / / rw\n2 0 8:1 / /x rw - ext4\n\n3 0 8:1 / /y rw shared:1 - tmpfs tmpfs rw\n';
    assert.deepEqual(
      parseMountInfo(text).map((m) => m.mountPoint),
      ['/y'],
    );
  });
});
