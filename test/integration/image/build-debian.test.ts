// The end-to-end proof: a Containerfile FROM debian:bookworm (built here with debootstrap from
// the host's mirror, ~65 s) that installs a Debian package with apt-get in a RUN step — in a
// Berth container on the host network — and runs it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { activeSnapshots, berth, buildEnv, flatten, mountsUnder, writeTree } from './build-harness.ts';
import { tempDir } from './registry-harness.ts';

test('FROM debian:bookworm, apt-get install hello, run it', { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t, 'build-debian');
  const env = buildEnv(dir);
  const base = berth(env, ['build-base', 'debian', '--scratch-dir', dir]);
  assert.equal(base.status, 0, base.stderr);
  const ctx = join(dir, 'ctx');
  await writeTree(ctx, {
    Containerfile: [
      'FROM debian:bookworm',
      'ENV DEBIAN_FRONTEND=noninteractive',
      'RUN apt-get update \\',
      ' && apt-get install -y --no-install-recommends hello \\',
      ' && rm -rf /var/lib/apt/lists/*',
      'RUN hello > /greeting.txt && hello -g "from a RUN step"',
      'CMD ["hello"]',
      '',
    ].join('\n'),
  });
  const r = berth(env, ['build', '-t', 'local/hello:1', ctx]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /STEP 3\/5: RUN apt-get update/);
  assert.match(r.stderr, /Setting up hello/, 'apt-get output is streamed');
  assert.match(r.stderr, /^from a RUN step$/m, 'the installed program ran in the next step');

  const image = await env.images.get('local/hello:1');
  assert.equal(image.layers.length, 3);
  const root = join(dir, 'rootfs');
  await flatten(env, image, root);
  assert.equal(await readFile(join(root, 'greeting.txt'), 'utf8'), 'Hello, world!\n');
  assert.equal(execFileSync('chroot', [root, 'hello'], { encoding: 'utf8' }), 'Hello, world!\n');
  assert.deepEqual(await mountsUnder(dir), []);
  assert.deepEqual(await activeSnapshots(env), []);
});
