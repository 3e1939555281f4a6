import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { familiarName, formatReference, parseReference } from './parse.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['debian:bookworm', 'docker.io/library/debian:bookworm'],
    ['user/app', 'docker.io/user/app:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b:tag', 'localhost:5000/a/b:tag'],
    ['127.0.0.1:5000/a', '127.0.0.1:5000/a:latest'],
    ['[::1]:5000/a:v1', '[::1]:5000/a:v1'],
    ['quay.io/org/sub/app:v1.2_3', 'quay.io/org/sub/app:v1.2_3'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`busybox:1.36@${D}`, `docker.io/library/busybox:1.36@${D}`],
    ['Registry/app', 'Registry/app:latest'],
    ['a__b/c-d.e', 'docker.io/a__b/c-d.e:latest'],
  ];
  for (const [input, expected] of cases) {
    it(`normalizes ${input}`, () => assert.equal(formatReference(parseReference(input)), expected));
  }

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['Busybox', /must be lower-case/],
    ['busybox:', /tag ''/],
    ['busybox:-x', /tag '-x'/],
    ['busybox@sha256:abc', /not a digest/],
    ['busybox@md5:0123456789abcdef0123456789abcdef', /not a digest/],
    ['a//b', /empty path component/],
    ['a/b_-c', /path component 'b_-c'/],
    ['-a', /path component '-a'/],
    ['localhost:5000/', /repository name is empty/],
    [`a/${'b'.repeat(260)}`, /longer than 255/],
  ];
  for (const [input, why] of bad) {
    it(`rejects '${input.slice(0, 30)}'`, () =>
      assert.throws(
        () => parseReference(input),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'ERR_IMAGE_REFERENCE_INVALID');
          assert.match(err.message, why);
          return true;
        },
      ));
  }
});

describe('familiarName', () => {
  it('drops docker.io and library/', () => {
    assert.equal(familiarName(parseReference('busybox')), 'busybox:latest');
    assert.equal(familiarName(parseReference('user/app:1')), 'user/app:1');
    assert.equal(familiarName(parseReference('localhost:5000/a:b')), 'localhost:5000/a:b');
  });
});
