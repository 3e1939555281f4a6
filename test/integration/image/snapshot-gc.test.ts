// `berth rmi` frees the layers `berth run` unpacked (root: run needs it), as Docker's rmi does:
// bin/berth with a temp state and run dir, rmi through a private CLI host.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cliHostEnv } from '../../fixtures/cli-host.ts';
import { tempDir } from './registry-harness.ts';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));

test('berth rmi removes the unpacked layers of the image it deletes, and keeps them while a name is left', async (t) => {
  const dir = await tempDir(t, 'snapshot-gc');
  const env = {
    ...process.env,
    ...cliHostEnv(t, dir),
    BERTH_STATE_DIR: join(dir, 'state'),
    BERTH_RUN_DIR: join(dir, 'run'),
    BERTH_CONFIG_DIR: join(dir, 'config'),
  };
  const berth = (args: string[]) => {
    const r = spawnSync(BERTH, args, { encoding: 'utf8', env, timeout: 180_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const overlay = join(dir, 'state', 'snapshots', 'overlay');
  const committed = async () => {
    const meta = JSON.parse(await readFile(join(overlay, 'metadata.json'), 'utf8'));
    return Object.entries(meta.snapshots as Record<string, { kind: string }>)
      .filter(([, s]) => s.kind === 'committed')
      .map(([key]) => key);
  };

  const ran = berth(['run', 'busybox', 'true']);
  assert.equal(ran.status, 0, ran.stderr);
  const layers = await committed();
  assert.equal(layers.length, 1, 'busybox has one layer');
  assert.equal((await readdir(join(overlay, 'snapshots'))).length, 1);

  assert.equal(berth(['tag', 'busybox', 'localhost/other:1']).status, 0);
  const untag = berth(['rmi', 'busybox']);
  assert.equal(untag.status, 0, untag.stderr);
  assert.equal(untag.stdout, 'Untagged: docker.io/library/busybox:latest\n');
  assert.deepEqual(await committed(), layers, 'the image is still there under its other name');

  const rmi = berth(['rmi', 'localhost/other:1']);
  assert.equal(rmi.status, 0, rmi.stderr);
  assert.match(
    rmi.stdout,
    new RegExp(`^Untagged: localhost/other:1\nDeleted: sha256:\\w+\nDeleted: ${layers[0]}\nFreed `),
  );
  assert.deepEqual(await readdir(join(overlay, 'snapshots')), []);
  assert.deepEqual(await committed(), []);

  const prune = berth(['--json', 'image', 'prune', '--grace', '0']);
  assert.equal(prune.status, 0, prune.stderr);
  assert.deepEqual(JSON.parse(prune.stdout).snapshots, { removed: [], freedBytes: 0, orphansRemoved: 0 });
});
