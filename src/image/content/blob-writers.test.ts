import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setBlobWriterThreads, stopBlobWriters } from './blob-writers.ts';
import { digestOf } from './digest.ts';
import { ContentStore } from './store.ts';

const MiB = 1024 * 1024;

async function tempStore(t: { after(fn: () => Promise<void>): void }): Promise<ContentStore> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-writers-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return new ContentStore(dir);
}

/** Fresh 1 MiB buffers the store may take over, as the registry client hands them. */
async function* batches(
  bytes: Uint8Array,
  between?: (at: number) => Promise<void>,
): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += MiB) {
    await between?.(at);
    yield new Uint8Array(bytes.subarray(at, at + MiB));
  }
}

describe('blob writer threads', () => {
  before(() => setBlobWriterThreads(2));
  after(() => setBlobWriterThreads(0));

  it('store handed-over buffers and resume after the partial, hashed by the worker', async (t) => {
    const store = await tempStore(t);
    const content = randomBytes(5 * MiB + 123);
    const digest = digestOf(content);
    await assert.rejects(
      store.ingest({
        digest,
        size: content.byteLength,
        open: async (offset) => ({
          body: batches(content, async (at) => {
            if (at >= 3 * MiB) throw new Error('connection reset');
          }),
          offset,
        }),
      }),
      /connection reset/,
    );
    assert.equal(await store.partialSize(digest), 3 * MiB);
    const written = await store.ingest({
      digest,
      size: content.byteLength,
      open: async (offset) => ({ body: batches(content.subarray(offset)), offset }),
    });
    assert.equal(written.size, content.byteLength);
    assert.deepEqual(await readFile(store.blobPath(digest)), content);
    assert.deepEqual(await readdir(store.ingestDir), []);
  });

  it('a writer that dies fails the ingest clearly, keeps the partial, and is replaced', async (t) => {
    const store = await tempStore(t);
    const content = randomBytes(4 * MiB);
    const digest = digestOf(content);
    const dying = store.ingest({
      digest,
      size: content.byteLength,
      open: async (offset) => ({
        body: batches(content, async (at) => {
          if (at === 2 * MiB) await stopBlobWriters();
        }),
        offset,
      }),
    });
    await assert.rejects(dying, { code: 'ERR_IMAGE_BLOB_WRITER_FAILED' });
    assert.equal(await store.has(digest), false);
    const kept = await store.partialSize(digest);
    assert.ok(kept <= 2 * MiB, `partial holds ${kept} bytes`);
    const written = await store.ingest({
      digest,
      size: content.byteLength,
      open: async (offset) => ({ body: batches(content.subarray(offset)), offset }),
    });
    assert.equal(written.created, true);
    assert.deepEqual(await readFile(store.blobPath(digest)), content);
  });

  it('never takes over buffers the caller did not hand over', async (t) => {
    const store = await tempStore(t);
    const content = randomBytes(2 * MiB);
    await store.write(content);
    assert.equal(content.byteLength, 2 * MiB);
    const chunk = new Uint8Array(MiB);
    // batches() copies; here the store gets the caller's own buffer, not marked as handed over.
    async function* own(): AsyncGenerator<Uint8Array> {
      yield chunk;
    }
    await store.ingest({
      digest: digestOf(chunk),
      size: MiB,
      open: async () => ({ body: own(), offset: 0 }),
    });
    assert.equal(chunk.byteLength, MiB);
  });
});
