import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { nodeHttpTransport } from './http.ts';

async function listen(t: { after(fn: () => Promise<void>): void }, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('nodeHttpTransport', () => {
  it('follows redirects, keeping credentials on the same origin and dropping them across origins', async (t) => {
    const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
    const storage = await listen(
      t,
      createServer((req, res) => {
        seen.push({ path: `storage${req.url}`, headers: req.headers });
        res.end('blob bytes');
      }),
    );
    const registry = await listen(
      t,
      createServer((req, res) => {
        seen.push({ path: `registry${req.url}`, headers: req.headers });
        if (req.url === '/v2/a/blobs/x') return void res.writeHead(307, { location: '/v2/a/blobs/y' }).end();
        res.writeHead(307, { location: `${storage}/data/y?sig=1` }).end();
      }),
    );
    const res = await nodeHttpTransport({
      method: 'GET',
      url: `${registry}/v2/a/blobs/x`,
      headers: { authorization: 'Bearer secret' },
      signal: new AbortController().signal,
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'blob bytes');
    assert.equal(res.url, `${storage}/data/y?sig=1`);
    assert.deepEqual(
      seen.map((s) => [s.path, s.headers.authorization]),
      [
        ['registry/v2/a/blobs/x', 'Bearer secret'],
        ['registry/v2/a/blobs/y', 'Bearer secret'],
        ['storage/data/y?sig=1', undefined],
      ],
    );
  });

  it('streams a request body with its content length', async (t) => {
    let received = '';
    let length: string | undefined;
    const url = await listen(
      t,
      createServer(async (req, res) => {
        length = req.headers['content-length'];
        for await (const chunk of req) received += chunk;
        res.writeHead(201).end();
      }),
    );
    async function* body() {
      yield Buffer.from('hello ');
      yield Buffer.from('world');
    }
    const res = await nodeHttpTransport({
      method: 'PUT',
      url,
      headers: { 'content-length': '11' },
      body: body(),
      signal: new AbortController().signal,
    });
    assert.equal(res.status, 201);
    assert.equal(received, 'hello world');
    assert.equal(length, '11');
  });
});
