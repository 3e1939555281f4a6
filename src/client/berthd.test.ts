import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listenOnTempSocket } from '../../test/fixtures/unix-server.ts';
import { BerthError } from '../core/index.ts';
import { BerthdClient } from './berthd.ts';
import { daemonHost } from './host.ts';
import { idleTimeoutFromEnv } from './idle.ts';

type Cleanup = { after(fn: () => unknown): void };

/** A stand-in daemon on a temp unix socket that answers every request with `answer`. */
async function fakeDaemon(
  t: Cleanup,
  answer: (res: ServerResponse) => void,
  idleTimeoutMs?: number,
): Promise<BerthdClient> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  const socketPath = await listenOnTempSocket(t, server, 'berthd.sock');
  return new BerthdClient({ socketPath, ...(idleTimeoutMs ? { idleTimeoutMs } : {}) });
}

function ndjson(res: ServerResponse, text: string, end = true): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  if (end) res.end(text);
  else res.write(text, () => res.socket?.destroy());
}

const progress = { kind: 'layer', digest: `sha256:${'a'.repeat(64)}`, size: 10, done: 10, status: 'done' };

async function pullError(client: BerthdClient): Promise<BerthError> {
  const err = await client.pullImage({ reference: 'busybox' }).catch((e: unknown) => e);
  assert.ok(err instanceof BerthError, `a BerthError, got ${err}`);
  return err;
}

describe('BerthdClient.pullImage', () => {
  it('reports progress lines and returns the image of the last line', async (t) => {
    const client = await fakeDaemon(t, (res) =>
      ndjson(res, `${JSON.stringify({ progress })}\n${JSON.stringify({ image: { id: 'sha256:x' } })}\n`),
    );
    const seen: unknown[] = [];
    const image = await client.pullImage(
      { reference: 'busybox' },
      { onProgress: (e) => seen.push(e), onStarted: () => seen.push('started') },
    );
    assert.deepEqual(image, { id: 'sha256:x' });
    assert.deepEqual(seen, ['started', progress]);
  });

  it('rethrows an in-stream error with the same code, category, message and hint', async (t) => {
    const error = {
      code: 'ERR_IMAGE_NOT_FOUND',
      category: 'NotFound',
      message: 'no such image',
      hint: 'check',
    };
    const client = await fakeDaemon(t, (res) =>
      ndjson(res, `${JSON.stringify({ progress })}\n${JSON.stringify({ error })}\n`),
    );
    assert.deepEqual((await pullError(client)).toJSON(), error);
  });

  it('rethrows an error status answered before the stream, and reports no start', async (t) => {
    const error = { code: 'ERR_API_STATE_DIR_MISMATCH', category: 'Conflict', message: 'other store' };
    const client = await fakeDaemon(t, (res) => {
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    });
    let started = false;
    const err = await client
      .pullImage(
        { reference: 'busybox', stateDir: '/x' },
        {
          onStarted: () => {
            started = true;
          },
        },
      )
      .catch((e: unknown) => e);
    assert.ok(err instanceof BerthError);
    assert.deepEqual(err.toJSON(), error);
    assert.equal(started, false);
  });

  it('reports a stream that ends without its last line, or mid-line, as cut short', async (t) => {
    const noResult = await fakeDaemon(t, (res) => ndjson(res, `${JSON.stringify({ progress })}\n`));
    assert.equal((await pullError(noResult)).code, 'ERR_CLIENT_STREAM_TRUNCATED');
    const midLine = await fakeDaemon(t, (res) =>
      ndjson(res, `${JSON.stringify({ progress })}\n{"image": {"id`),
    );
    assert.equal((await pullError(midLine)).code, 'ERR_CLIENT_STREAM_TRUNCATED');
    const dropped = await fakeDaemon(t, (res) => ndjson(res, `${JSON.stringify({ progress })}\n`, false));
    assert.equal((await pullError(dropped)).code, 'ERR_CLIENT_STREAM_TRUNCATED');
  });

  it('names a daemon that went away mid-pull (connection closed before or after the answer began)', async (t) => {
    const midStream = await fakeDaemon(t, (res) => ndjson(res, `${JSON.stringify({ progress })}\n`, false));
    const beforeAnswer = await fakeDaemon(t, (res) => res.socket?.destroy());
    for (const client of [midStream, beforeAnswer]) {
      const err = await pullError(client);
      assert.equal(err.code, 'ERR_CLIENT_STREAM_TRUNCATED');
      assert.equal(
        err.message,
        'pull busybox through berthd: berthd went away before it finished (it stopped or was killed)',
      );
      assert.match(err.hint ?? '', /downloaded so far are kept: start berthd again and pull again to resume/);
    }
  });

  it('refuses a line that is not JSON, or not an object', async (t) => {
    const garbage = await fakeDaemon(t, (res) => ndjson(res, 'hello\n'));
    const err = await pullError(garbage);
    assert.equal(err.code, 'ERR_CLIENT_BAD_RESPONSE');
    assert.match(err.message, /not JSON: "hello"/);
    const scalar = await fakeDaemon(t, (res) => ndjson(res, '7\n'));
    assert.match((await pullError(scalar)).message, /a line that is not an object: 7$/);
  });

  it('skips keep-alive lines and events it does not know', async (t) => {
    const client = await fakeDaemon(t, (res) =>
      ndjson(
        res,
        [
          { keepalive: true },
          { progress },
          { keepalive: true },
          { status: 'newer' },
          { image: { id: 'sha256:x' } },
        ]
          .map((line) => `${JSON.stringify(line)}\n`)
          .join(''),
      ),
    );
    const seen: unknown[] = [];
    const image = await client.pullImage({ reference: 'busybox' }, { onProgress: (e) => seen.push(e) });
    assert.deepEqual(image, { id: 'sha256:x' });
    assert.deepEqual(seen, [progress]);
    const onlyKeepAlive = await fakeDaemon(t, (res) => ndjson(res, '{"keepalive":true}\n'));
    assert.equal((await pullError(onlyKeepAlive)).code, 'ERR_CLIENT_STREAM_TRUNCATED');
  });
});

describe('BerthdClient idle limit', () => {
  /** A daemon whose answer stops after `text`, its connection left open; resolves `closed` when the client hangs up. */
  async function stuckDaemon(t: Cleanup, text: string | undefined, idleTimeoutMs: number) {
    let hungUp!: () => void;
    const closed = new Promise<void>((resolve) => {
      hungUp = resolve;
    });
    const client = await fakeDaemon(
      t,
      (res) => {
        res.socket?.once('close', hungUp);
        if (text !== undefined) {
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          res.write(text);
        }
      },
      idleTimeoutMs,
    );
    return { client, closed };
  }

  it('gives up on a daemon that stops mid-stream, closing the connection', async (t) => {
    const { client, closed } = await stuckDaemon(t, `${JSON.stringify({ progress })}\n`, 50);
    const seen: unknown[] = [];
    const err = await client
      .pullImage({ reference: 'busybox' }, { onProgress: (e) => seen.push(e) })
      .catch((e: unknown) => e);
    assert.ok(err instanceof BerthError, `a BerthError, got ${err}`);
    assert.equal(err.code, 'ERR_CLIENT_DAEMON_UNRESPONSIVE');
    assert.equal(err.category, 'Unavailable');
    assert.equal(err.message, 'pull busybox through berthd: berthd stopped answering (nothing for 0.05 s)');
    assert.match(err.hint ?? '', /downloaded so far are kept: check berthd .*or pull with --no-daemon/);
    assert.deepEqual(seen, [progress]);
    await closed;
  });

  it('gives up on a daemon that accepted the request and never answered', async (t) => {
    const { client, closed } = await stuckDaemon(t, undefined, 50);
    assert.equal((await pullError(client)).code, 'ERR_CLIENT_DAEMON_UNRESPONSIVE');
    await closed;
    const version = await client.version().catch((e: unknown) => e);
    assert.ok(version instanceof BerthError);
    assert.equal(version.message, 'GET /v1/version: berthd stopped answering (nothing for 0.05 s)');
  });

  it('waits past the limit while keep-alive lines keep coming', async (t) => {
    // 60 keep-alives 10 ms apart: a stream far longer than the 300 ms limit, never quiet that long.
    const client = await fakeDaemon(
      t,
      (res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        let sent = 0;
        const beat = setInterval(() => {
          if (++sent < 60) res.write('{"keepalive":true}\n');
          else {
            clearInterval(beat);
            res.end(`${JSON.stringify({ image: { id: 'sha256:x' } })}\n`);
          }
        }, 10);
        res.once('close', () => clearInterval(beat));
      },
      300,
    );
    assert.deepEqual(await client.pullImage({ reference: 'busybox' }), { id: 'sha256:x' });
  });
});

describe('idleTimeoutFromEnv', () => {
  it('reads BERTH_CLIENT_IDLE_TIMEOUT in seconds, refusing what is not a positive number', () => {
    assert.equal(idleTimeoutFromEnv({}), undefined);
    assert.equal(idleTimeoutFromEnv({ BERTH_CLIENT_IDLE_TIMEOUT: '' }), undefined);
    assert.equal(idleTimeoutFromEnv({ BERTH_CLIENT_IDLE_TIMEOUT: '3' }), 3000);
    assert.equal(idleTimeoutFromEnv({ BERTH_CLIENT_IDLE_TIMEOUT: '0.5' }), 500);
    for (const bad of ['0', '-1', 'soon', '1e3', '1.2.3', 'Infinity']) {
      assert.throws(() => idleTimeoutFromEnv({ BERTH_CLIENT_IDLE_TIMEOUT: bad }), {
        code: 'ERR_CLIENT_IDLE_TIMEOUT_INVALID',
      });
    }
  });
});

describe('BerthdClient.probe', () => {
  it('answers undefined when no daemon listens: no socket, or a path nobody serves', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-client-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    assert.equal(await new BerthdClient({ socketPath: join(dir, 'missing.sock') }).probe(), undefined);
    await writeFile(join(dir, 'stale.sock'), '');
    assert.equal(await new BerthdClient({ socketPath: join(dir, 'stale.sock') }).probe(), undefined);
    const err = await new BerthdClient({ socketPath: join(dir, 'missing.sock') }).version().catch((e) => e);
    assert.equal(err.code, 'ERR_CLIENT_DAEMON_UNREACHABLE');
    const stale = await new BerthdClient({ socketPath: join(dir, 'stale.sock') }).version().catch((e) => e);
    assert.match(
      stale.message,
      /stale\.sock: ECONNREFUSED \(the socket is left over: berthd stopped or was killed\)$/,
    );
  });

  it("returns the daemon's version and state dir", async (t) => {
    const version = {
      version: '0.1.0',
      apiVersion: '0.2.0',
      node: 'v24',
      platform: 'linux/x64',
      stateDir: '/s',
    };
    const client = await fakeDaemon(t, (res) => res.end(JSON.stringify(version)));
    assert.deepEqual(await client.probe(), version);
  });
});

describe('daemonHost', () => {
  it('takes --host, then BERTH_HOST, then $BERTH_RUN_DIR/berthd.sock', () => {
    assert.deepEqual(daemonHost('unix:///a.sock', { BERTH_HOST: 'unix:///b.sock' }), {
      socketPath: '/a.sock',
      explicit: true,
    });
    assert.deepEqual(daemonHost(undefined, { BERTH_HOST: 'unix:///b.sock' }), {
      socketPath: '/b.sock',
      explicit: true,
    });
    assert.deepEqual(daemonHost(undefined, { BERTH_RUN_DIR: '/r' }), {
      socketPath: '/r/berthd.sock',
      explicit: false,
    });
    assert.throws(() => daemonHost('tcp://1.2.3.4:2375', {}), { code: 'ERR_CLIENT_HOST_UNSUPPORTED' });
  });
});
