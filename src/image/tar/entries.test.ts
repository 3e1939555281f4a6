import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tar } from '../../../test/fixtures/hostile-layers/tar-builder.ts';
import { tarEntries } from './entries.ts';

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('tarEntries (the pull face of TarReader)', () => {
  it('hands out entries and bodies across chunk borders; unread bodies are skipped', async () => {
    const archive = tar([
      { name: 'a', body: 'x'.repeat(700) },
      { name: 'd/', type: '5', mode: 0o755 },
      { name: 'b', body: 'hello' },
    ]);
    for (const size of [1, 100, 512, archive.length]) {
      const seen: string[] = [];
      for await (const entry of tarEntries(chunked(archive, size))) {
        if (entry.path === 'a') continue; // left unread
        let body = '';
        for await (const chunk of entry.body) body += chunk.toString();
        seen.push(`${entry.path}:${entry.type}:${body}`);
      }
      assert.deepEqual(seen, ['d/:dir:', 'b:file:hello'], `chunks of ${size}`);
    }
  });

  it('reports a stream cut inside a body with the caller’s error, else the reader’s', async () => {
    const archive = tar([{ name: 'a', body: 'x'.repeat(700) }]).subarray(0, 800);
    const drain = async (options: Parameters<typeof tarEntries>[1]) => {
      for await (const entry of tarEntries(chunked(archive, 256), options)) for await (const _ of entry.body);
    };
    await assert.rejects(drain({}), { code: 'ERR_IMAGE_LAYER_INVALID', message: /truncated at byte 800/ });
    await assert.rejects(drain({ truncated: (offset) => new Error(`cut at ${offset}`) }), /cut at 800/);
  });

  it('refuses a file larger than maxFileBytes', async () => {
    const archive = tar([{ name: 'big', body: 'x'.repeat(2000) }]);
    const entries = tarEntries(chunked(archive, 4096), { limits: { maxFileBytes: 1000 } });
    await assert.rejects(entries.next(), { code: 'ERR_IMAGE_LAYER_INVALID', message: /claims 2000 bytes/ });
  });
});
