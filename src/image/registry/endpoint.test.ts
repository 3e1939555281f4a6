import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryClient } from './client.ts';
import { allowsHttp, apiHost, checkScheme, isLoopback } from './endpoint.ts';
import type { HttpResponse, HttpTransport } from './http.ts';

describe('registry endpoints', () => {
  it('recognizes loopback hosts', () => {
    for (const host of ['localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]:5000'])
      assert.ok(isLoopback(host), host);
    for (const host of ['10.0.0.1:5000', 'registry.example.com', 'localhost.example.com', '128.0.0.1']) {
      assert.ok(!isLoopback(host), host);
    }
  });

  it('allows http only for loopback or listed registries', () => {
    assert.ok(allowsHttp('localhost:5000', []));
    assert.ok(!allowsHttp('10.0.0.1:5000', []));
    assert.ok(allowsHttp('10.0.0.1:5000', ['10.0.0.1:5000']));
    assert.ok(allowsHttp('10.0.0.1:5000', ['10.0.0.1']));
    assert.throws(() => checkScheme(new URL('http://10.0.0.1:5000/v2/'), []), {
      code: 'ERR_IMAGE_REGISTRY_INSECURE',
    });
    assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
  });

  it('never sends plain http to a registry that is not loopback or insecure', async () => {
    const urls: string[] = [];
    const refuse: HttpTransport = async (req) => {
      urls.push(req.url);
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    const strict = new RegistryClient({
      registry: 'registry.example.com:5000',
      transport: refuse,
      timeoutMs: 1000,
    });
    await assert.rejects(strict.ping(), { code: 'ERR_IMAGE_REGISTRY_UNAVAILABLE' });
    assert.deepEqual(urls, ['https://registry.example.com:5000/v2/']);
    urls.length = 0;
    const insecure = new RegistryClient({
      registry: 'registry.example.com:5000',
      insecureRegistries: ['registry.example.com'],
      transport: refuse,
      timeoutMs: 1000,
    });
    await assert.rejects(insecure.ping());
    assert.deepEqual(urls, ['https://registry.example.com:5000/v2/', 'http://registry.example.com:5000/v2/']);
  });

  it("finds a loopback registry's scheme with its first request, probing only when that is ambiguous", async () => {
    const urls: string[] = [];
    const answer = (status: number): HttpResponse => ({
      status,
      statusText: '',
      ok: status < 300,
      url: '',
      headers: { get: () => null },
      body: (async function* () {})(),
      text: async () => '',
      drain: () => {},
    });
    // An http registry: its first request goes straight to it over http, no /v2/ probe.
    const plain: HttpTransport = async (req) => {
      urls.push(req.url);
      return answer(200);
    };
    const local = new RegistryClient({ registry: 'localhost:5000', transport: plain, timeoutMs: 1000 });
    await (await local.ok({ path: 'a/manifests/v1', scopes: [], what: 'get' })).discard();
    await (await local.ok({ path: 'a/blobs/x', scopes: [], what: 'get' })).discard();
    assert.deepEqual(urls, ['http://localhost:5000/v2/a/manifests/v1', 'http://localhost:5000/v2/a/blobs/x']);
    // An https server answers plain http with 400: /v2/ is probed, then https is used.
    urls.length = 0;
    const tls: HttpTransport = async (req) => {
      urls.push(req.url);
      return answer(req.url.startsWith('http:') ? 400 : 200);
    };
    const secure = new RegistryClient({ registry: 'localhost:5000', transport: tls, timeoutMs: 1000 });
    await (await secure.ok({ path: 'a/manifests/v1', scopes: [], what: 'get' })).discard();
    assert.deepEqual(urls, [
      'http://localhost:5000/v2/a/manifests/v1',
      'http://localhost:5000/v2/',
      'https://localhost:5000/v2/a/manifests/v1',
    ]);
  });
});
