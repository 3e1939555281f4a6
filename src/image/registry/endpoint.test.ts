import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryClient } from './client.ts';
import { allowsHttp, apiHost, checkScheme, isLoopback } from './endpoint.ts';
import type { HttpTransport } from './http.ts';

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
});
