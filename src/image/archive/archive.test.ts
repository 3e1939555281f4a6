import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChanges } from './changes.ts';
import { readTar } from './tar-read.ts';
import { tarEnd, tarHeader, tarPadding } from './tar-write.ts';

test('tar writer and reader round-trip long names (PAX), links and bodies across chunk borders', async () => {
  const long = `${'d/'.repeat(80)}file`;
  const body = Buffer.alloc(1000, 7);
  const bytes = Buffer.concat([
    tarHeader({ name: long, type: 'file', mode: 0o640, size: body.length }),
    body,
    tarPadding(body.length),
    tarHeader({ name: 'link', type: 'symlink', mode: 0o777, linkname: 'x'.repeat(150) }),
    tarEnd(),
  ]);
  const chunks = async function* () {
    for (let i = 0; i < bytes.length; i += 333) yield bytes.subarray(i, i + 333);
  };
  const seen: [string, string, number, string][] = [];
  for await (const m of readTar(chunks(), { what: 't' })) {
    let size = 0;
    for await (const c of m.body) size += c.length;
    seen.push([m.name, m.type, size, m.linkname]);
  }
  assert.deepEqual(seen, [
    [long, 'file', 1000, ''],
    ['link', 'symlink', 0, 'x'.repeat(150)],
  ]);
});

test('unread bodies are skipped', async () => {
  const bytes = Buffer.concat([
    tarHeader({ name: 'a', type: 'file', mode: 0o644, size: 600 }),
    Buffer.alloc(600),
    tarPadding(600),
    tarHeader({ name: 'b', type: 'dir', mode: 0o755 }),
    tarEnd(),
  ]);
  const names: string[] = [];
  const source = (async function* () {
    yield bytes;
  })();
  for await (const m of readTar(source, { what: 't' })) names.push(m.name);
  assert.deepEqual(names, ['a', 'b/']);
});

test('--change instructions: exec and shell forms, ENV forms, unknown instructions refused', () => {
  const config = applyChanges({ Env: ['A=1'] }, [
    'ENV A=2 B="two words"',
    'ENV C three',
    'CMD echo hi',
    'ENTRYPOINT ["/init"]',
    'WORKDIR /srv',
    'EXPOSE 80 53/udp',
    'LABEL k=v',
  ]);
  assert.deepEqual(config.Env, ['A=2', 'B=two words', 'C=three']);
  assert.deepEqual(config.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(config.Entrypoint, ['/init']);
  assert.equal(config.WorkingDir, '/srv');
  assert.deepEqual(Object.keys(config.ExposedPorts ?? {}), ['80/tcp', '53/udp']);
  assert.deepEqual(config.Labels, { k: 'v' });
  assert.throws(() => applyChanges({}, ['RUN rm -rf /']), { code: 'ERR_IMAGE_CHANGE_INVALID' });
  assert.throws(() => applyChanges({}, ['CMD ["a", 1]']), { code: 'ERR_IMAGE_CHANGE_INVALID' });
});

test('tar errors come out as archive errors naming the archive', async () => {
  const bytes = Buffer.concat([
    tarHeader({ name: 'a', type: 'file', mode: 0o644, size: 600 }),
    Buffer.alloc(100),
  ]);
  const drain = async (input: Buffer) => {
    const source = (async function* () {
      yield input;
    })();
    for await (const m of readTar(source, { what: 'x.tar' })) for await (const _ of m.body);
  };
  await assert.rejects(drain(bytes), {
    code: 'ERR_IMAGE_ARCHIVE_INVALID',
    message: /^x\.tar: archive ends early/,
  });
  const corrupt = Buffer.from(bytes.subarray(0, 512));
  corrupt[0] = 0x62;
  await assert.rejects(drain(corrupt), {
    code: 'ERR_IMAGE_ARCHIVE_INVALID',
    message: /^x\.tar: header checksum/,
  });
});
