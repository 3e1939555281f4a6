// e2e: a berthd that hangs without dying (here SIGSTOP, as a deadlock would look) no longer keeps
// `berth pull` waiting. The real `bin/berth` and `bin/berthd`, a real docker-registry on
// loopback behind a throttling proxy so the big layer is still coming when the daemon stops.
// The CLI, its idle limit shortened to 3 s, gives up with one clear error; nothing is
// half-visible in the store; the daemon is continued and stopped when the test ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../image/registry-harness.ts';
import { blobsAreComplete, slowBigImage, startBerthd, storedImages, untilPartial } from './daemon-harness.ts';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));

// A guard, not a measure: a CLI that waits for ever on the stopped daemon fails the test.
describe('a stopped daemon', { timeout: 120_000 }, () => {
  it('berthd SIGSTOPped mid-pull: the CLI gives up after its idle limit with one clear error', async (t) => {
    const dir = await tempDir(t, 'stopped-daemon');
    const stateDir = join(dir, 'run', 'state');
    const { ref, bigLayer } = await slowBigImage(t, dir);

    // Continued and stopped when the test ends, whatever happens (startBerthd's clean-up).
    const daemon = await startBerthd(t, join(dir, 'run'));
    const cli = spawn(BERTH, ['pull', ref], {
      env: {
        ...process.env,
        BERTH_CLI_HOST: 'off',
        BERTH_STATE_DIR: stateDir,
        BERTH_RUN_DIR: join(dir, 'run'),
        BERTH_CONFIG_DIR: join(dir, 'config'),
        BERTH_HOST: `unix://${daemon.socketPath}`,
        BERTH_CLIENT_IDLE_TIMEOUT: '3',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
    });
    let stderr = '';
    cli.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const exited = once(cli, 'exit');
    await untilPartial(join(stateDir, 'content', 'ingest', `${bigLayer.slice(7)}.partial`), 1024 * 1024, cli);
    daemon.process.kill('SIGSTOP');
    const [code] = await exited;

    assert.equal(code, 1);
    assert.match(
      stderr,
      /^(?:.*\n)*berth: pull 127\.0\.0\.1:\d+\/big\/app:v1 through berthd: berthd stopped answering \(nothing for 3 s\)\nhint: the layers downloaded so far are kept: check berthd.*--no-daemon\n$/,
    );
    assert.doesNotMatch(stderr, /\n\s+at |Internal|ECONNRESET|socket hang up|went away/);
    assert.equal(stderr.match(/^berth: /gm)?.length, 1, 'one error');
    assert.deepEqual(await storedImages(stateDir), []);
    assert.ok(!(await blobsAreComplete(stateDir)).includes(bigLayer), 'the big layer is not in the store');

    // Continued, the daemon finds its caller gone and cancels the pull: still no image recorded.
    daemon.process.kill('SIGCONT');
    await daemon.waitForLog(/images\/pull","status":200,"error":"client gone"/);
    assert.deepEqual(await storedImages(stateDir), []);
    assert.ok(!(await blobsAreComplete(stateDir)).includes(bigLayer), 'the big layer is not in the store');
  });
});
