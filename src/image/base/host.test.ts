import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alive } from '../../../test/fixtures/processes.ts';
import { localHost } from './host.ts';

describe('base image host', () => {
  it('waits for a command that closes its stdout before it exits', async () => {
    // The race a debootstrap layer lost under load: tar's stdout ended, tar had not exited yet.
    const out = await localHost.capture(['sh', '-c', 'echo layer; exec >&-; sleep 0.3']);
    assert.equal(out.toString(), 'layer\n');
  });

  it('reports a failing command with its status', async () => {
    await assert.rejects(localHost.capture(['sh', '-c', 'echo partial; exit 3']), /exited with status 3/);
  });

  it('stops the command when the consumer stops reading', async () => {
    let pid = 0;
    for await (const chunk of localHost.stream(['sh', '-c', 'echo $$; exec sleep 30'])) {
      pid = Number(chunk.toString());
      break;
    }
    assert.ok(pid > 0);
    for (let i = 0; i < 500 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(alive(pid), false, 'the command was killed');
  });
});
