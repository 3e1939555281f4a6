import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { readBatches } from './batches.ts';

const KiB = 1024;

/** The batches, each joined. */
async function collect(it: AsyncIterable<Uint8Array[]>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const batch of it) out.push(Buffer.concat(batch));
  return out;
}

describe('readBatches', () => {
  it('groups small chunks into ~1 MiB batches and keeps every byte in order', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * KiB, i));
    const batches = await collect(readBatches(Readable.from(chunks), { stallMs: 10_000, onStall: () => {} }));
    assert.deepEqual(
      batches.map((b) => b.byteLength),
      [1024 * KiB, 1024 * KiB, 512 * KiB],
    );
    assert.deepEqual(Buffer.concat(batches), Buffer.concat(chunks));
  });

  it('hands on the bytes that arrived before an error, then the error', async () => {
    const body = new PassThrough();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const batch of readBatches(body, { stallMs: 10_000, onStall: () => {} }))
        seen.push(Buffer.concat(batch).byteLength);
    })();
    body.write(Buffer.alloc(10));
    setImmediate(() => body.destroy(new Error('connection reset')));
    await assert.rejects(reading, /connection reset/);
    assert.deepEqual(seen, [10]);
  });

  it('calls onStall when bytes stop coming, and not while they flow', async () => {
    const body = new PassThrough();
    let stalls = 0;
    const reading = collect(
      readBatches(body, {
        stallMs: 300,
        onStall: () => {
          stalls++;
          body.destroy(new Error('stalled'));
        },
      }),
    );
    // Bytes keep coming for longer than the stall window, never with a gap near it.
    for (let i = 0; i < 8; i++) {
      body.write(Buffer.alloc(KiB));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(stalls, 0);
    await assert.rejects(reading, /stalled/);
    assert.equal(stalls, 1);
  });

  it('a body that closes before its end fails instead of ending quietly', async () => {
    const body = new PassThrough();
    const reading = collect(readBatches(body, { stallMs: 10_000, onStall: () => {} }));
    body.write(Buffer.alloc(10));
    setImmediate(() => body.destroy());
    await assert.rejects(reading, /closed before the body ended/);
  });
});
