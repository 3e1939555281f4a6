import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChallenge } from './auth.ts';

describe('parseChallenge', () => {
  it('parses a bearer challenge with quoted values and commas inside quotes', () => {
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"',
      ),
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example.com/token',
          service: 'registry.example.com',
          scope: 'repository:a/b:pull,push',
        },
      },
    );
  });

  it('parses a basic challenge and bare values', () => {
    assert.deepEqual(parseChallenge('Basic realm=test'), { scheme: 'basic', params: { realm: 'test' } });
  });
});
