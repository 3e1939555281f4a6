import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseMirror, parseDeb822Sources, parseOneLineSources } from './mirror.ts';

test('one-line and deb822 sources; the suite itself wins over security and other repositories', () => {
  const oneLine = parseOneLineSources(
    '# comment\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64] http://one.example/debian bookworm main contrib\n',
    'sources.list',
  );
  assert.deepEqual(
    oneLine.map((s) => [s.uri, s.suites, s.components]),
    [['http://one.example/debian', ['bookworm'], ['main', 'contrib']]],
  );
  const deb822 = parseDeb822Sources(
    'Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\nTypes: deb deb-src\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nEnabled: no\nTypes: deb\nURIs: http://off.example\nSuites: bookworm\n',
    'debian.sources',
  );
  assert.equal(deb822.length, 2);
  assert.equal(chooseMirror(deb822, 'bookworm'), 'http://deb.example/debian');
  assert.equal(chooseMirror([...deb822, ...oneLine], 'trixie'), 'http://deb.example/debian');
  assert.equal(chooseMirror([], 'bookworm'), undefined);
});
