import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setBlobWriterThreads } from './blob-writers.ts';
import { digestOf } from './digest.ts';
import { ContentStore } from './store.ts';

async function tempStore(t: { after(fn: () => Promise<void>): void }): Promise<ContentStore> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-content-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return new ContentStore(dir);
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function* failingAfter(part: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(part);
  throw new Error('connection reset');
}

// Every case runs with the bytes hashed and written on the main thread and on writer threads.
for (const [where, threads] of [
  ['on the main thread', 0],
  ['on writer threads', 2],
] as const) {
  describe(`ContentStore (${where})`, () => {
    before(() => setBlobWriterThreads(threads));
    after(() => setBlobWriterThreads(0));

    it('writes a verified blob, reads it back and lists it', async (t) => {
      const store = await tempStore(t);
      const digest = digestOf('hello world');
      const written = await store.write(chunks('hello ', 'world'), { digest, size: 11 });
      assert.equal(written.created, true);
      assert.equal((await store.readBytes(digest)).toString(), 'hello world');
      const listed: string[] = [];
      for await (const blob of store.list()) listed.push(blob.digest);
      assert.deepEqual(listed, [digest]);
      assert.equal((await store.write(chunks('hello world'), { digest })).created, false);
    });

    it('names a blob by its computed digest when none is expected', async (t) => {
      const store = await tempStore(t);
      const written = await store.write(Buffer.from('abc'));
      assert.equal(written.digest, digestOf('abc'));
      assert.equal(written.size, 3);
    });

    it('rejects a digest mismatch and leaves nothing behind', async (t) => {
      const store = await tempStore(t);
      const digest = digestOf('expected');
      await assert.rejects(store.write(chunks('other'), { digest }), { code: 'ERR_IMAGE_DIGEST_MISMATCH' });
      assert.equal(await store.has(digest), false);
      assert.deepEqual(await readdir(store.ingestDir), []);
    });

    it('rejects a stream longer or shorter than its size', async (t) => {
      const store = await tempStore(t);
      const digest = digestOf('abcdef');
      await assert.rejects(store.write(chunks('abcdefg'), { digest, size: 6 }), {
        code: 'ERR_IMAGE_BLOB_SIZE_MISMATCH',
      });
      await assert.rejects(store.write(chunks('abc'), { digest, size: 6 }), {
        code: 'ERR_IMAGE_BLOB_TRUNCATED',
      });
      assert.equal(await store.has(digest), false);
      assert.deepEqual(await readdir(store.ingestDir), []);
    });

    it('resumes an interrupted ingest from the partial file', async (t) => {
      const store = await tempStore(t);
      const content = '0123456789abcdef';
      const digest = digestOf(content);
      const offsets: number[] = [];
      await assert.rejects(
        store.ingest({
          digest,
          size: 16,
          open: async (offset) => {
            offsets.push(offset);
            return { body: failingAfter(content.slice(0, 6)), offset };
          },
        }),
        /connection reset/,
      );
      assert.equal(await store.has(digest), false);
      assert.equal(await store.partialSize(digest), 6);
      const written = await store.ingest({
        digest,
        size: 16,
        open: async (offset) => {
          offsets.push(offset);
          return { body: chunks(content.slice(offset)), offset };
        },
      });
      assert.equal(written.created, true);
      assert.deepEqual(offsets, [0, 6]);
      assert.equal(await readFile(store.blobPath(digest), 'utf8'), content);
      assert.deepEqual(await readdir(store.ingestDir), []);
    });

    it('starts over when the source ignores the range', async (t) => {
      const store = await tempStore(t);
      const content = 'resume-me-please';
      const digest = digestOf(content);
      await assert.rejects(
        store.ingest({ digest, size: 16, open: async () => ({ body: failingAfter('resu'), offset: 0 }) }),
      );
      const written = await store.ingest({
        digest,
        size: 16,
        open: async () => ({ body: chunks(content), offset: 0 }),
      });
      assert.equal(written.size, 16);
      assert.equal(await readFile(store.blobPath(digest), 'utf8'), content);
    });

    it('discards a partial whose bytes turn out wrong', async (t) => {
      const store = await tempStore(t);
      const digest = digestOf('good content');
      await assert.rejects(
        store.ingest({ digest, size: 12, open: async () => ({ body: chunks('bad content!'), offset: 0 }) }),
        { code: 'ERR_IMAGE_DIGEST_MISMATCH' },
      );
      assert.equal(await store.partialSize(digest), 0);
      assert.equal(await store.has(digest), false);
    });

    it('deletes blobs and reports absent ones as not found', async (t) => {
      const store = await tempStore(t);
      const { digest } = await store.write(Buffer.from('x'));
      assert.equal(await store.delete(digest), true);
      assert.equal(await store.delete(digest), false);
      await assert.rejects(store.info(digest), { code: 'ERR_IMAGE_BLOB_NOT_FOUND' });
    });
  });
}
