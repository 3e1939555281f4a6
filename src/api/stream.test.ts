import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listenOnTempSocket } from '../../test/fixtures/unix-server.ts';
import { BerthError, createLogger } from '../core/index.ts';
import { type ApiResponse, isStream, type Route } from './router.ts';
import { createRoutes } from './routes/index.ts';
import { createApiServer, handleRequest } from './server.ts';
import { eventStream } from './stream.ts';

async function collect(events: AsyncIterable<unknown>): Promise<{ seen: unknown[]; error?: unknown }> {
  const seen: unknown[] = [];
  try {
    for await (const e of events) seen.push(e);
    return { seen };
  } catch (error) {
    return { seen, error };
  }
}

function eventsOf(response: ApiResponse): AsyncIterable<unknown> {
  assert.ok(isStream(response), `a stream, got ${JSON.stringify(response)}`);
  return response.events;
}

describe('eventStream', () => {
  it('yields what the job emits, in order, then its result', async () => {
    const events = eventStream<string, number>(
      async (emit) => {
        emit('a');
        await new Promise((resolve) => setImmediate(resolve));
        emit('b');
        emit('c');
        return 3;
      },
      (n) => `done ${n}`,
    );
    assert.deepEqual((await collect(events)).seen, ['a', 'b', 'c', 'done 3']);
  });

  it('throws the job failure after the events emitted before it', async () => {
    const events = eventStream<string, void>(
      async (emit) => {
        emit('a');
        throw new Error('boom');
      },
      () => 'never',
    );
    const { seen, error } = await collect(events);
    assert.deepEqual(seen, ['a']);
    assert.equal((error as Error).message, 'boom');
  });
});

describe('POST /v1/images/pull without a socket', () => {
  const routes = createRoutes({ stateDir: '/nonexistent/berth-state' });
  const pull = (body: unknown) => handleRequest(routes, { method: 'POST', path: '/v1/images/pull', body });

  it('answers a bad body with 400 before any stream starts', async () => {
    for (const [body, code] of [
      [undefined, 'ERR_API_BAD_REQUEST'],
      [{ reference: 7 }, 'ERR_API_BAD_REQUEST'],
      [{ reference: 'Bad Name' }, 'ERR_IMAGE_REFERENCE_INVALID'],
      [{ reference: 'busybox', platform: 'linux' }, 'ERR_IMAGE_PLATFORM_INVALID'],
      [{ reference: 'busybox', timeoutMs: -1 }, 'ERR_API_BAD_REQUEST'],
      [{ reference: 'busybox', insecureRegistries: [1] }, 'ERR_API_BAD_REQUEST'],
      [{ reference: 'busybox', credentials: { username: 'u' } }, 'ERR_API_BAD_REQUEST'],
      [{ reference: 'busybox', stateDir: 'relative/state' }, 'ERR_API_BAD_REQUEST'],
      [{ reference: 'busybox', stateDir: 7 }, 'ERR_API_BAD_REQUEST'],
    ] as const) {
      const answer = await pull(body);
      assert.ok(!isStream(answer));
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal((answer.body as { error: { code: string } }).error.code, code);
    }
  });

  it('answers 409 when the caller expects another state dir, before checking anything else', async () => {
    for (const body of [
      { reference: 'busybox', stateDir: '/var/lib/other-berth' },
      { reference: 'Bad Name', stateDir: '/var/lib/other-berth' },
    ]) {
      const answer = await pull(body);
      assert.ok(!isStream(answer));
      assert.equal(answer.status, 409);
      const { error } = answer.body as { error: { code: string; message: string } };
      assert.equal(error.code, 'ERR_API_STATE_DIR_MISMATCH');
      assert.equal(error.message, 'berthd serves /nonexistent/berth-state, not /var/lib/other-berth');
    }
  });

  it('streams a registry failure as the last line, with its code and category', async (t) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'berth-api-pull-'));
    t.after(() => rm(stateDir, { recursive: true, force: true }));
    // Port 1 on loopback refuses connections: the pull fails at its first request.
    const answer = await handleRequest(createRoutes({ stateDir }), {
      method: 'POST',
      path: '/v1/images/pull',
      // The same state dir, spelt differently, is the daemon's: the pull starts.
      body: { reference: '127.0.0.1:1/app:v1', timeoutMs: 5000, stateDir: `${stateDir}/./` },
    });
    assert.equal(answer.status, 200);
    const { seen, error } = await collect(eventsOf(answer));
    assert.deepEqual(seen, []);
    assert.ok(error instanceof BerthError);
    assert.equal(error.category, 'Unavailable');
  });
});

describe('NDJSON streaming over a unix socket', () => {
  function serveOnSocket(
    t: { after(fn: () => unknown): void },
    routes: Route[],
    keepAliveMs?: number,
  ): Promise<string> {
    const server = createApiServer({
      routes,
      log: createLogger({ level: 'error' }),
      ...(keepAliveMs === undefined ? {} : { keepAliveMs }),
    });
    return listenOnTempSocket(t, server, 'api.sock');
  }

  it('sends one JSON object a line, then a failure as an error line', async (t) => {
    const route: Route = {
      method: 'POST',
      path: '/v1/x',
      handle: async () => ({
        status: 200,
        events: (async function* () {
          yield { progress: 1 };
          yield { progress: 2 };
          throw new BerthError({ code: 'ERR_TEST_BROKE', category: 'NotFound', message: 'gone', hint: 'h' });
        })(),
      }),
    };
    const socketPath = await serveOnSocket(t, [route]);
    const { status, type, text } = await new Promise<{ status?: number; type?: string; text: string }>(
      (resolve, reject) => {
        const req = request({ socketPath, method: 'POST', path: '/v1/x' }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], text }));
        });
        req.on('error', reject).end();
      },
    );
    assert.equal(status, 200);
    assert.equal(type, 'application/x-ndjson');
    assert.deepEqual(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      [
        { progress: 1 },
        { progress: 2 },
        { error: { code: 'ERR_TEST_BROKE', category: 'NotFound', message: 'gone', hint: 'h' } },
      ],
    );
  });

  it("aborts the route's signal when the caller disconnects mid-stream", async (t) => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    const route: Route = {
      method: 'POST',
      path: '/v1/slow',
      handle: async ({ signal }) => ({
        status: 200,
        events: (async function* () {
          yield { progress: 1 };
          signal.addEventListener('abort', () => aborted());
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          throw signal.reason;
        })(),
      }),
    };
    const socketPath = await serveOnSocket(t, [route]);
    await new Promise<void>((resolve, reject) => {
      const req = request({ socketPath, method: 'POST', path: '/v1/slow' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {}).end();
      req.once('timeout', reject);
    });
    await sawAbort;
  });

  it('writes keep-alive lines while a stream is quiet, and none once it ended', async (t) => {
    let resume!: () => void;
    const quiet = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const route: Route = {
      method: 'POST',
      path: '/v1/quiet',
      handle: async () => ({
        status: 200,
        events: (async function* () {
          yield { progress: 1 };
          await quiet;
          yield { image: 'x' };
        })(),
      }),
    };
    const socketPath = await serveOnSocket(t, [route], 10);
    const lines = await new Promise<unknown[]>((resolve, reject) => {
      const req = request({ socketPath, method: 'POST', path: '/v1/quiet' }, (res) => {
        const seen: unknown[] = [];
        let pending = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          pending += d;
          const complete = pending.split('\n');
          pending = complete.pop() ?? '';
          seen.push(...complete.map((l) => JSON.parse(l)));
          // Two heartbeats in a row: the stream was quiet for two intervals; let it finish.
          if (seen.filter((l) => JSON.stringify(l) === '{"keepalive":true}').length === 2) resume();
        });
        res.on('end', () => resolve(seen));
      });
      req.on('error', reject).end();
    });
    // Between the two events only keep-alives (two or more, as the host's scheduling goes).
    assert.deepEqual(lines[0], { progress: 1 });
    assert.deepEqual(lines.at(-1), { image: 'x' });
    assert.ok(lines.length >= 4);
    for (const line of lines.slice(1, -1)) assert.deepEqual(line, { keepalive: true });
  });
});
