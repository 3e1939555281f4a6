import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from './log.ts';

const fixedClock = () => new Date('2026-01-02T03:04:05.000Z');

describe('createLogger', () => {
  it('writes one JSON object a line with time, level, message and fields', () => {
    const lines: string[] = [];
    const log = createLogger({
      write: (l) => lines.push(l),
      now: fixedClock,
      fields: { component: 'engine' },
    });
    log.info('container started', { id: 'abc', pid: 42 });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith('\n'));
    assert.deepEqual(JSON.parse(lines[0] ?? ''), {
      time: '2026-01-02T03:04:05.000Z',
      level: 'info',
      msg: 'container started',
      component: 'engine',
      id: 'abc',
      pid: 42,
    });
  });

  it('drops records below the level and serialises errors', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l), now: fixedClock });
    log.debug('hidden');
    log.info('hidden');
    log.error('failed', { err: new RangeError('too big') });
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0] ?? '').err, { name: 'RangeError', message: 'too big' });
  });

  it('child loggers add fields; text format is readable', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), now: fixedClock, format: 'text' });
    log.child({ id: 'c1' }).warn('slow stop', { seconds: 10 });
    assert.equal(lines[0], '2026-01-02T03:04:05.000Z WARN slow stop id=c1 seconds=10\n');
  });
});
