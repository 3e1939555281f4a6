// berthd as a user runs it: started from bin/, answering over its unix socket, logging JSON
// lines, stopping cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const BERTHD = fileURLToPath(new URL('../../bin/berthd', import.meta.url));

interface Started {
  child: ChildProcess;
  logs: () => Record<string, unknown>[];
}

function startBerthd(socket: string): Started {
  const child = spawn(BERTHD, ['--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const logs = () =>
    stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, logs };
}

async function waitForSocket(socket: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(socket); i++) {
    if (child.exitCode !== null) throw new Error(`berthd exited with ${child.exitCode}`);
    await sleep(25);
  }
}

function get(socket: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('berthd', () => {
  it('serves the API on its socket, logs JSON lines and stops on SIGTERM', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berthd-'));
    const socket = join(dir, 'run', 'berthd.sock');
    const { child, logs } = startBerthd(socket);
    t.after(async () => {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });
    await waitForSocket(socket, child);
    assert.equal(statSync(socket).mode & 0o777, 0o660);
    const version = await get(socket, '/v1/version');
    assert.equal(version.status, 200);
    assert.match((version.body as { node: string }).node, /^v24\./);
    const missing = await get(socket, '/v1/containers/nope');
    assert.equal(missing.status, 404);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.equal(existsSync(socket), false, 'the socket is removed on stop');
    const lines = logs();
    assert.ok(
      lines.every(
        (l) => typeof l.time === 'string' && typeof l.level === 'string' && l.component === 'berthd',
      ),
    );
    assert.ok(lines.some((l) => l.msg === 'request' && l.path === '/v1/version' && l.status === 200));
    assert.ok(lines.some((l) => l.msg === 'request' && l.status === 404));
    assert.ok(lines.some((l) => l.msg === 'berthd stopped'));
  });

  it('refuses a socket another berthd serves, and replaces a stale one', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berthd-'));
    const socket = join(dir, 'berthd.sock');
    await writeFile(socket, '');
    const first = startBerthd(socket);
    t.after(async () => {
      first.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });
    for (let i = 0; i < 200 && !first.logs().some((l) => l.msg === 'berthd listening'); i++) await sleep(25);
    assert.equal((await get(socket, '/v1/_ping')).status, 200, 'a stale socket file was replaced');

    const second = startBerthd(socket);
    const [code] = await once(second.child, 'exit');
    assert.equal(code, 1);
    assert.ok(second.logs().some((l) => l.code === 'ERR_API_SOCKET_IN_USE'));
    assert.equal((await get(socket, '/v1/_ping')).status, 200, 'the first daemon still serves');
  });
});
