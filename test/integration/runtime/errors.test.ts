import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type BundleSpec,
  cgroupsLeft,
  createFixture,
  makeBundle,
  mountsUnder,
  processesMatching,
  type RuntimeFixture,
  runtime,
} from './fixture.ts';

const NATIVE = fileURLToPath(new URL('../../../native/build/berth-native', import.meta.url));

describe('berth-runtime bad input: clear error, non-zero exit, nothing left behind', () => {
  let fx: RuntimeFixture;
  before(() => {
    fx = createFixture();
  });
  after(() => fx.cleanup());

  /** create must fail with `message`, leaving no state dir, mount or helper process. */
  function assertCreateFails(bundle: string, message: RegExp): void {
    const id = `bad-${Math.random().toString(36).slice(2, 8)}`;
    const r = runtime(fx.root, 'create', '--bundle', bundle, id);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(existsSync(join(fx.root, id)), false, 'state dir left behind');
    assert.deepEqual(mountsUnder(fx.dir), [], 'mount left behind');
    assert.deepEqual(processesMatching(NATIVE), [], 'helper process left behind');
    assert.deepEqual(cgroupsLeft(`/berth/${id}`), [], 'cgroup left behind');
  }

  function hookScript(name: string, body: string): string {
    const path = join(fx.dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  const bundleWith = (edit: (spec: BundleSpec) => void) => makeBundle(fx, ['true'], edit);

  it('malformed config.json', () => {
    const bundle = join(fx.dir, 'malformed');
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), '{"ociVersion": ');
    assertCreateFails(bundle, /config\.json is not valid JSON/);
  });

  it('a config.json that breaks the schema names the JSON path', () => {
    assertCreateFails(
      bundleWith((spec) => {
        (spec.process as { args: unknown }).args = 'true';
      }),
      /process\.args/,
    );
  });

  it('missing bundle and missing root filesystem', () => {
    assertCreateFails(join(fx.dir, 'nowhere'), /cannot read .*nowhere\/config\.json/);
    assertCreateFails(
      bundleWith((spec) => {
        spec.root.path = join(fx.dir, 'no-rootfs');
      }),
      /root filesystem .*no-rootfs does not exist/,
    );
  });

  it('unknown namespace type', () => {
    assertCreateFails(
      bundleWith((spec) => {
        spec.linux.namespaces.push({ type: 'bogus' as 'pid' });
      }),
      /linux\.namespaces\[\d+\]\.type: unknown namespace type "bogus"/,
    );
  });

  it('a program that is not in the root filesystem', () => {
    assertCreateFails(
      makeBundle(fx, ['no-such-program']),
      /exec "no-such-program": executable file not found in \$PATH/,
    );
  });

  it('a bind mount whose source is missing', () => {
    assertCreateFails(
      bundleWith((spec) => {
        spec.mounts.push({ destination: '/x', type: 'bind', source: '/no/such/dir', options: ['rbind'] });
      }),
      /mount source \/no\/such\/dir for \/x does not exist/,
    );
  });

  it('a mount the kernel refuses reports step, path and errno', () => {
    assertCreateFails(
      bundleWith((spec) => {
        spec.mounts.push({ destination: '/bad', type: 'nosuchfs', source: 'none' });
      }),
      /mount \/bad: ENODEV/,
    );
  });

  it('failing prestart, createRuntime and createContainer hooks', () => {
    const fail = hookScript('fail.sh', 'echo hook says no >&2; exit 7');
    for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
      assertCreateFails(
        bundleWith((spec) => {
          spec.hooks = { [kind]: [{ path: fail }] };
        }),
        new RegExp(`${kind} hook .*fail\\.sh exited with status 7: hook says no`),
      );
    }
  });

  it('a hook that hangs past its timeout', () => {
    const hang = hookScript('hang.sh', 'exec sleep 100');
    for (const kind of ['createRuntime', 'createContainer'] as const) {
      assertCreateFails(
        bundleWith((spec) => {
          spec.hooks = { [kind]: [{ path: hang, timeout: 1 }] };
        }),
        new RegExp(`${kind} hook .*hang\\.sh timed out after 1s`),
      );
    }
    assert.deepEqual(processesMatching('sleep\u0000100'), [], 'hung hook left running');
  });

  it('hooks receive the state on stdin and run at their points', () => {
    const log = join(fx.dir, 'hooks.log');
    const record = hookScript('record.sh', `read -r state; echo "$1 $state" >> ${log}`);
    const hook = (kind: string) => ({ path: record, args: ['record.sh', kind] });
    const bundle = bundleWith((spec) => {
      spec.hooks = {
        prestart: [hook('prestart')],
        createRuntime: [hook('createRuntime')],
        poststart: [hook('poststart')],
        poststop: [hook('poststop')],
      };
    });
    const r = runtime(fx.root, 'run', '--bundle', bundle, 'hooked');
    assert.equal(r.status, 0, r.stderr);
    const lines = readLines(log);
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['prestart', 'createRuntime', 'poststart', 'poststop'],
    );
    const state = JSON.parse(lines[0]!.slice('prestart '.length));
    assert.equal(state.id, 'hooked');
    assert.equal(state.status, 'creating');
    assert.ok(state.pid > 0);
    assert.equal(JSON.parse(lines[3]!.slice('poststop '.length)).status, 'stopped');
  });

  it('leaves nothing behind after a successful run either', () => {
    const r = runtime(fx.root, 'run', '--bundle', makeBundle(fx, ['true']), 'clean');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      readdirSync(fx.root).filter((id) => id === 'clean'),
      [],
    );
    assert.deepEqual(mountsUnder(fx.dir), []);
  });
});

function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n');
}
