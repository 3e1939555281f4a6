import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TransferProgress } from '../../image/index.ts';
import type { CommandContext } from '../command.ts';
import { type CliOutput, processIo } from '../io.ts';
import { progressSilenced, progressView } from './image-progress.ts';

const layer: TransferProgress = {
  kind: 'layer',
  digest: `sha256:${'ab'.repeat(32)}`,
  size: 1500,
  done: 1500,
  status: 'done',
};

/** A non-TTY stream that keeps what is written to it. */
function recordingStream(): CliOutput & { text: string } {
  const stream = {
    text: '',
    isTTY: false,
    write(chunk: string) {
      stream.text += chunk;
    },
  };
  return stream;
}

const ctx = (json: boolean, values: CommandContext['values']): CommandContext => ({
  values,
  positionals: [],
  json,
  debug: false,
  io: processIo(),
});

describe('progress', () => {
  it('writes one line per finished blob, and nothing when silent', () => {
    const shown = recordingStream();
    progressView({ silent: false, stream: shown }).update(layer);
    assert.equal(shown.text, 'layer abababababab: transferred (1.50 kB)\n');
    const silent = recordingStream();
    const view = progressView({ silent: true, stream: silent });
    view.update(layer);
    view.finish();
    assert.equal(silent.text, '');
  });

  it('is silenced by --json and by -q/--quiet only', () => {
    assert.equal(progressSilenced(ctx(false, {})), false);
    assert.equal(progressSilenced(ctx(true, {})), true);
    assert.equal(progressSilenced(ctx(false, { quiet: true })), true);
  });
});
