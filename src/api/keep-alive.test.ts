import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { KEEP_ALIVE_LINE, type KeepAliveTarget, startKeepAlive } from './keep-alive.ts';

/** A response that records what is written to it. */
function fakeResponse(): KeepAliveTarget & EventEmitter & { lines: string[]; writableNeedDrain: boolean } {
  const res = Object.assign(new EventEmitter(), {
    lines: [] as string[],
    writableNeedDrain: false,
    writableEnded: false,
    destroyed: false,
    write(line: string) {
      res.lines.push(line);
      return true;
    },
  });
  return res as unknown as ReturnType<typeof fakeResponse>;
}

describe('startKeepAlive', () => {
  it('writes a keep-alive line after each quiet interval, counted from the last line written', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const res = fakeResponse();
    const keepAlive = startKeepAlive(res, 100);
    t.mock.timers.tick(99);
    assert.deepEqual(res.lines, []);
    t.mock.timers.tick(1);
    assert.deepEqual(res.lines, [KEEP_ALIVE_LINE]);
    t.mock.timers.tick(60);
    keepAlive.wrote();
    t.mock.timers.tick(99);
    assert.equal(res.lines.length, 1, 'a line written restarts the quiet interval');
    t.mock.timers.tick(1);
    t.mock.timers.tick(100);
    assert.deepEqual(res.lines, [KEEP_ALIVE_LINE, KEEP_ALIVE_LINE, KEEP_ALIVE_LINE]);
    keepAlive.stop();
    t.mock.timers.tick(1000);
    assert.equal(res.lines.length, 3, 'nothing after stop()');
    assert.equal(res.listenerCount('close'), 0);
  });

  it('stops when the response closes, and writes nothing while the socket must drain', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const res = fakeResponse();
    startKeepAlive(res, 100);
    res.writableNeedDrain = true;
    t.mock.timers.tick(300);
    assert.deepEqual(res.lines, []);
    res.writableNeedDrain = false;
    t.mock.timers.tick(100);
    assert.deepEqual(res.lines, [KEEP_ALIVE_LINE]);
    res.emit('close');
    t.mock.timers.tick(1000);
    assert.deepEqual(res.lines, [KEEP_ALIVE_LINE]);
  });

  it('is the JSON line {"keepalive":true}', () => {
    assert.deepEqual(JSON.parse(KEEP_ALIVE_LINE), { keepalive: true });
    assert.ok(KEEP_ALIVE_LINE.endsWith('}\n'));
  });
});
