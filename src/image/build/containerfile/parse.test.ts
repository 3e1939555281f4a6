import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../../core/index.ts';
import { parseContainerfile } from './parse.ts';
import { expandWord, parsePairs, splitRawWords, WordError } from './words.ts';

test('stages, AS names, flags, exec and shell forms, continuations and comments', () => {
  const file = parseContainerfile(
    [
      '# syntax=docker/dockerfile:1',
      'ARG BASE=busybox',
      'FROM --platform=linux/amd64 $BASE AS build',
      'RUN echo one && \\',
      '  # a comment inside a continuation',
      '',
      '    echo two',
      'COPY --from=build --chown=1:1 a b /dst/',
      'CMD ["sh", "-c", "echo hi"]',
      'from scratch',
      'entrypoint echo hi',
    ].join('\n'),
  );
  assert.equal(file.globalArgs.length, 1);
  assert.equal(file.stages.length, 2);
  const [build, final] = file.stages;
  assert.equal(build!.name, 'build');
  assert.equal(build!.platform, 'linux/amd64');
  assert.equal(build!.base, '$BASE');
  const [run, copy, cmd] = build!.instructions;
  assert.equal(run!.text, 'echo one &&     echo two');
  assert.equal(run!.line, 4);
  assert.equal(run!.json, undefined);
  assert.deepEqual(copy!.flags, { from: 'build', chown: '1:1' });
  assert.equal(copy!.text, 'a b /dst/');
  assert.deepEqual(cmd!.json, ['sh', '-c', 'echo hi']);
  assert.equal(final!.base, 'scratch');
  assert.equal(final?.instructions[0]?.keyword, 'ENTRYPOINT');
});

test('the escape directive switches the continuation character', () => {
  const file = parseContainerfile('# escape=`\nFROM scratch\nRUN dir c:\\ `\n  /w\n');
  assert.equal(file.escape, '`');
  assert.equal(file.stages[0]?.instructions[0]?.text, 'dir c:\\   /w');
});

function syntaxErrorOf(text: string): BerthError {
  try {
    parseContainerfile(text, 'Containerfile');
  } catch (err) {
    assert.ok(err instanceof BerthError);
    assert.equal(err.code, 'ERR_IMAGE_BUILD_SYNTAX');
    return err;
  }
  assert.fail('expected a syntax error');
}

test('unknown instructions and malformed lines name file:line', () => {
  assert.match(
    syntaxErrorOf('FROM scratch\n\nRUNN true\n').message,
    /^Containerfile:3: unknown instruction 'RUNN'/,
  );
  assert.match(syntaxErrorOf('RUN true\n').message, /Containerfile:1: RUN before the first FROM/);
  assert.match(
    syntaxErrorOf('FROM scratch\nENV\n').message,
    /Containerfile:2: ENV requires at least one argument/,
  );
  assert.match(syntaxErrorOf('FROM a b c d\n').message, /Containerfile:1: FROM expects/);
  assert.match(syntaxErrorOf('FROM a AS x\nFROM b AS x\n').message, /:2: duplicate stage name 'x'/);
  assert.match(syntaxErrorOf('# nothing\n').message, /no FROM instruction/);
  assert.match(syntaxErrorOf('FROM a\nHEALTHCHECK NONE\n').message, /:2: HEALTHCHECK is not supported/);
});

test('words: quotes, escapes and substitution forms', () => {
  const vars: Record<string, string> = { A: 'alpha', EMPTY: '' };
  const lookup = (n: string) => vars[n];
  const w = (s: string) => expandWord(s, lookup, '\\');
  assert.equal(w('$A-${A}'), 'alpha-alpha');
  assert.equal(w('${UNSET:-dflt} ${EMPTY:-d2} ${EMPTY-d3}'), 'dflt d2 ');
  assert.equal(w('${A:+alt} ${UNSET:+alt}'), 'alt ');
  assert.equal(w('\'$A\' "$A" \\$A'), '$A alpha $A');
  assert.equal(w('"a \\" b"'), 'a " b');
  assert.equal(w('${UNSET:-$A}'), 'alpha');
  assert.throws(
    () => w('${UNSET:?must be set}'),
    (e: Error) => e instanceof WordError && /must be set/.test(e.message),
  );
  assert.throws(() => w('"open'), WordError);
  assert.deepEqual(splitRawWords('a "b c" d\\ e', '\\'), ['a', '"b c"', 'd\\ e']);
});

test('pairs: KEY=VALUE with quotes, and the legacy ENV form', () => {
  const lookup = (n: string) => (n === 'X' ? 'ex' : undefined);
  const opts = { lookup, esc: '\\' as const, legacy: true, valueRequired: true };
  assert.deepEqual(parsePairs('A=1 B="two words" C=$X D=a\\ b', opts), [
    ['A', '1'],
    ['B', 'two words'],
    ['C', 'ex'],
    ['D', 'a b'],
  ]);
  assert.deepEqual(parsePairs('NAME some value $X', opts), [['NAME', 'some value ex']]);
  assert.deepEqual(parsePairs('V1 V2=d', { ...opts, legacy: false, valueRequired: false }), [
    ['V1', undefined],
    ['V2', 'd'],
  ]);
});
