import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError, type ErrorCategory } from '../core/index.ts';
import { type ApiResponse, isStream, type Route } from './router.ts';
import { createRoutes } from './routes/index.ts';
import { handleRequest } from './server.ts';
import { httpStatusFor } from './status.ts';

const routes = createRoutes({ stateDir: '/nonexistent/berth-state' });

function bodyOf(response: ApiResponse): unknown {
  assert.ok(!isStream(response), 'a JSON answer, not a stream');
  return response.body;
}

describe('API routes without a socket', () => {
  it('answers GET /v1/version and /v1/_ping', async () => {
    const version = await handleRequest(routes, { method: 'GET', path: '/v1/version', body: undefined });
    assert.equal(version.status, 200);
    const body = bodyOf(version) as { node: string; stateDir: string; apiVersion: string };
    assert.match(body.node, /^v24\./);
    assert.equal(body.stateDir, '/nonexistent/berth-state');
    assert.match(body.apiVersion, /^\d+\.\d+\.\d+$/);
    assert.deepEqual(await handleRequest(routes, { method: 'GET', path: '/v1/_ping', body: undefined }), {
      status: 200,
      body: { ok: true },
    });
  });

  it('reports an unknown path as 404 and a wrong method as 400, with error codes', async () => {
    const missing = await handleRequest(routes, { method: 'GET', path: '/v1/nothing', body: undefined });
    assert.equal(missing.status, 404);
    assert.equal((bodyOf(missing) as { error: { code: string } }).error.code, 'ERR_API_NOT_FOUND');
    const wrong = await handleRequest(routes, { method: 'POST', path: '/v1/version', body: undefined });
    assert.equal(wrong.status, 400);
    assert.equal((bodyOf(wrong) as { error: { code: string } }).error.code, 'ERR_API_METHOD_NOT_ALLOWED');
  });

  it('turns a route failure into its category status, and a crash into 500', async () => {
    const failing: Route = {
      method: 'GET',
      path: '/v1/x',
      handle: async () => {
        throw new BerthError({ code: 'ERR_TEST_BUSY', category: 'Conflict', message: 'busy', hint: 'wait' });
      },
    };
    const crashing: Route = { ...failing, path: '/v1/y', handle: async () => JSON.parse('{') };
    const busy = await handleRequest([failing], { method: 'GET', path: '/v1/x', body: undefined });
    assert.deepEqual(busy, {
      status: 409,
      body: { error: { code: 'ERR_TEST_BUSY', category: 'Conflict', message: 'busy', hint: 'wait' } },
    });
    const crash = await handleRequest([crashing], { method: 'GET', path: '/v1/y', body: undefined });
    assert.equal(crash.status, 500);
  });

  it('maps every category to a status', () => {
    const expected: Record<ErrorCategory, number> = {
      NotFound: 404,
      AlreadyExists: 409,
      Conflict: 409,
      InvalidArgument: 400,
      FailedPrecondition: 412,
      Unavailable: 503,
      Internal: 500,
    };
    for (const [category, status] of Object.entries(expected)) {
      assert.equal(httpStatusFor(category as ErrorCategory), status, category);
    }
  });
});
