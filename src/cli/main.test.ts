import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const BERTH = fileURLToPath(new URL('../../bin/berth', import.meta.url));
const berth = (...args: string[]) => spawnSync(BERTH, args, { encoding: 'utf8' });

describe('berth CLI', () => {
  it('prints help listing commands and exits 0', () => {
    const r = berth('--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: berth/);
    assert.match(r.stdout, /version\s+Show the Berth version/);
  });

  it('reports an unknown command as berth: <message> with a hint and exit 2', () => {
    const r = berth('frobnicate');
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      "berth: unknown command 'frobnicate'\nhint: run 'berth --help' for the list of commands\n",
    );
  });

  it('reports errors as JSON with --json', () => {
    const r = berth('--json', 'frobnicate');
    assert.equal(r.status, 2);
    assert.equal(JSON.parse(r.stderr).error.code, 'ERR_CLI_USAGE');
  });

  it('shows the stack with --debug', () => {
    const r = berth('--debug', 'frobnicate');
    assert.match(r.stderr, /code: ERR_CLI_USAGE/);
    assert.match(r.stderr, /at findEntry/);
  });

  it('rejects an unknown flag naming it', () => {
    const r = berth('version', '--frob');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option '--frob'/);
  });

  it('prints the version as text and as JSON', () => {
    assert.match(berth('--version').stdout, /^berth \d+\.\d+\.\d+ \(node v24\./);
    const data = JSON.parse(berth('version', '--json').stdout);
    assert.match(data.node, /^v24\./);
  });
});

describe('berth command list', () => {
  it('loads every listed command under its own name', async () => {
    const { commandEntries } = await import('./commands/index.ts');
    for (const entry of commandEntries) {
      const command = await entry.load();
      assert.equal(command.name, entry.name, `entry ${entry.name} loads command ${command.name}`);
      assert.ok(command.summary.length > 0);
    }
  });
});
