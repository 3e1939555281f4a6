// config.json written by the real runc must pass Berth's validation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { validateSpec } from '../../../src/runtime/spec/index.ts';

describe('validateSpec against runc spec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-spec-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const variant of [[], ['--rootless']]) {
    test(`runc spec ${variant.join(' ')}`.trim(), () => {
      const bundle = mkdtempSync(join(dir, 'bundle-'));
      const r = spawnSync('runc', ['spec', '--bundle', bundle, ...variant], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const raw = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
      assert.equal(validateSpec(raw).process?.args?.[0], 'sh');
    });
  }
});
