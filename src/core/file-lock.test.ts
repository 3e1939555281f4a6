import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { identityOf, lock, tryLock } from './file-lock.ts';

/** What a lock taken by this process names (its symlink target): pid, boot id, start time. */
const OURS = `${process.pid} ${identityOf(process.pid)}`;

describe('file locks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is held by one caller at a time, and gone once released', async () => {
    const path = join(dir, 'a.lock');
    const held = await tryLock(path);
    assert.ok(held);
    assert.equal(readlinkSync(path), OURS, 'a symlink naming us: no data block needed');
    assert.equal(await tryLock(path), undefined, 'the holder itself cannot take it twice');
    await held.release();
    assert.equal(existsSync(path), false);
    const again = await tryLock(path);
    assert.ok(again);
    await again.release();
    assert.deepEqual(readdirSync(dir), []);
  });

  it('takes over a lock whose holder is gone', async () => {
    const path = join(dir, 'a.lock');
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(path, `${dead.pid}\n`); // a regular file, as older Berth wrote
    const held = await tryLock(path);
    assert.ok(held, 'a dead holder’s lock is taken over');
    assert.equal(readlinkSync(path), OURS, 'a symlink naming us: no data block needed');
    await held.release();
    assert.deepEqual(readdirSync(dir), []);
  });

  it('takes over a lock whose pid now names another live process (pid reused, or a reboot)', async () => {
    const path = join(dir, 'a.lock');
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      const pid = live.pid;
      assert.ok(pid);
      const [boot, start] = (identityOf(pid) ?? '').split(' ');
      assert.ok(boot && start, 'a live process has an identity');
      assert.equal(identityOf(pid), identityOf(pid), 'the same process, the same identity');
      // The live process itself holds it: not taken over.
      symlinkSync(`${pid} ${boot} ${start}`, path);
      assert.equal(await tryLock(path), undefined);
      // The same pid, but a holder started at another time, or in another boot: gone.
      for (const stale of [`${boot} ${Number(start) - 1}`, `00000000-0000-0000-0000-000000000000 ${start}`]) {
        rmSync(path, { force: true });
        symlinkSync(`${pid} ${stale}`, path);
        const held = await tryLock(path);
        assert.ok(held, `a holder '${stale}' that is not process ${pid} is taken over`);
        assert.equal(readlinkSync(path), OURS);
        await held.release();
      }
      // A regular file from before identities (a pid alone) is judged by its pid.
      writeFileSync(path, `${pid}\n`);
      assert.equal(await tryLock(path), undefined);
    } finally {
      live.kill('SIGKILL');
    }
    assert.deepEqual(readdirSync(dir), ['a.lock']);
  });

  it('takes over a lock whose holder is a zombie (dead, but not reaped)', async (t) => {
    // `sleep 30` (exec'd by sh) never reaps the `sleep 0` it was given as a child.
    const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 30']);
    t.after(() => parent.kill('SIGKILL'));
    const children = `/proc/${parent.pid}/task/${parent.pid}/children`;
    const state = (pid: string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    let zombie = '';
    for (let i = 0; i < 500 && !(zombie && state(zombie) === 'Z'); i++) {
      zombie = readFileSync(children, 'utf8').trim();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(state(zombie), 'Z', 'the child is a zombie');
    assert.equal(identityOf(Number(zombie)), undefined, 'a zombie has no identity: it holds nothing');
    const path = join(dir, 'a.lock');
    writeFileSync(path, `${zombie}\n`);
    const held = await tryLock(path);
    assert.ok(held, 'a zombie’s lock is taken over');
    await held.release();
  });

  it('honours a live holder’s lock whether symlink or regular file', async () => {
    const path = join(dir, 'a.lock');
    writeFileSync(path, `${process.ppid}\n`);
    assert.equal(await tryLock(path), undefined);
    rmSync(path);
    symlinkSync(String(process.ppid), path);
    assert.equal(await tryLock(path), undefined);
  });

  it('excludes every other process: concurrent read-modify-writes lose no update', async () => {
    // Each process adds 1 to a counter file 40 times under the lock; a second holder at any
    // moment would make two increments read the same value.
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    const script = `const { lock } = await import(${JSON.stringify(join(import.meta.dirname, 'file-lock.ts'))});
      const fs = await import('node:fs');
      for (let i = 0; i < 40; i++) {
        const held = await lock(${JSON.stringify(join(dir, 'c.lock'))});
        const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8'));
        await new Promise((r) => setImmediate(r));
        fs.writeFileSync(${JSON.stringify(counter)}, String(n + 1));
        await held.release();
      }`;
    const child = () =>
      new Promise<number | null>((resolve) => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
        p.on('exit', resolve);
      });
    assert.deepEqual(await Promise.all([child(), child(), child(), child()]), [0, 0, 0, 0]);
    assert.equal(readFileSync(counter, 'utf8'), '160');
    assert.deepEqual(readdirSync(dir).sort(), ['counter'], 'no lock or temp file is left');
  });

  it('lock() gives up with an error naming the file after its timeout', async () => {
    const path = join(dir, 'a.lock');
    const held = await lock(path);
    await assert.rejects(lock(path, { timeoutMs: 50 }), /timed out waiting for lock .*a\.lock/);
    await held.release();
  });
});
