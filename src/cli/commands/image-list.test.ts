import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));

describe('berth images -q', () => {
  it('prints each image ID once, however many names point to it, and nothing else', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-images-q-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'root'));
    await writeFile(join(dir, 'root', 'f'), 'hi\n');
    const env = { ...process.env, BERTH_STATE_DIR: join(dir, 'state') };
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { encoding: 'utf8', env });
      assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    run('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'root.tar'), '.']);
    const id = /sha256:([0-9a-f]{12})/.exec(run(BERTH, ['import', join(dir, 'root.tar'), 'demo/a:1']))?.[1];
    run(BERTH, ['tag', 'demo/a:1', 'demo/b:2']);
    assert.equal(run(BERTH, ['images']).match(new RegExp(id ?? 'none', 'g'))?.length, 2);
    assert.equal(run(BERTH, ['images', '-q']), `${id}\n`);
    assert.equal(run(BERTH, ['image', 'ls', '--quiet']), `${id}\n`);
  });
});
