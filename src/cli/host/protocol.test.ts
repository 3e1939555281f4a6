import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCall } from './protocol.ts';

describe('CLI host request', () => {
  it('reads the directory, the terminal, the environment and the arguments', () => {
    const call = parseCall(['/home/u', '1,0,132', '2', 'HOME=/home/u', 'A=b=c', 'pull', '-q', 'busybox']);
    assert.deepEqual(call, {
      cwd: '/home/u',
      term: { stdout: true, stderr: false, columns: 132 },
      env: { HOME: '/home/u', A: 'b=c' },
      argv: ['pull', '-q', 'busybox'],
    });
  });

  it('takes an empty argument list and no environment', () => {
    assert.deepEqual(parseCall(['/', '0,0,0', '0']), {
      cwd: '/',
      term: { stdout: false, stderr: false, columns: 0 },
      env: {},
      argv: [],
    });
  });

  it('refuses malformed requests (the front-end then runs the command itself)', () => {
    assert.equal(parseCall([]), undefined);
    assert.equal(parseCall(['relative/dir', '0,0,0', '0']), undefined, 'a relative directory');
    assert.equal(parseCall(['/', '0,0', '0']), undefined, 'a terminal field without columns');
    assert.equal(parseCall(['/', '0,0,0', 'x']), undefined, 'a count that is not a number');
    assert.equal(parseCall(['/', '0,0,0', '-1']), undefined, 'a negative count');
    assert.equal(parseCall(['/', '0,0,0', '3', 'A=1']), undefined, 'fewer variables than counted');
  });
});
