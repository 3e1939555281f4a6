// User namespaces with id mappings on the real kernel, and warnings for settings Berth cannot apply.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFixture, makeBundle, type RuntimeFixture, runBundle, runtime } from './fixture.ts';

const HOST_ROOT = 100000;

describe('berth-runtime user namespaces', () => {
  let fx: RuntimeFixture;
  before(() => {
    fx = createFixture();
    // The container's root is host uid 100000: it must be able to reach the rootfs.
    chmodSync(fx.dir, 0o755);
    mkdirSync(join(fx.rootfs, 'shared'));
  });
  after(() => fx.cleanup());

  it('maps container root to host 100000: id shows 0, files on a bind mount belong to 100000', () => {
    const shared = join(fx.dir, 'shared');
    mkdirSync(shared);
    chownSync(shared, HOST_ROOT, HOST_ROOT);
    const bundle = makeBundle(
      fx,
      ['sh', '-c', 'id -u; id -g; touch /shared/made-inside; cat /proc/self/uid_map'],
      (spec) => {
        spec.linux.namespaces.push({ type: 'user' });
        spec.linux.uidMappings = [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }];
        spec.linux.gidMappings = [{ containerID: 0, hostID: HOST_ROOT, size: 65536 }];
        spec.mounts.push({ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] });
      },
    );
    const r = runBundle(fx, 'userns', bundle);
    assert.equal(r.status, 0, r.stderr);
    const [uid, gid, map] = r.stdout.split('\n');
    assert.equal(uid, '0');
    assert.equal(gid, '0');
    assert.deepEqual(map?.trim().split(/\s+/), ['0', String(HOST_ROOT), '65536']);
    const made = statSync(join(shared, 'made-inside'));
    assert.equal(made.uid, HOST_ROOT);
    assert.equal(made.gid, HOST_ROOT);
  });

  it('refuses a user namespace without mappings', () => {
    const bundle = makeBundle(fx, ['true'], (spec) => {
      spec.linux.namespaces.push({ type: 'user' });
    });
    const r = runBundle(fx, 'unmapped', bundle);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /uidMappings/);
  });
});

describe('berth-runtime unsupported security labels', () => {
  let fx: RuntimeFixture;
  before(() => {
    fx = createFixture();
  });
  after(() => fx.cleanup());

  const labelled = () =>
    makeBundle(fx, ['true'], (spec) => {
      spec.process.apparmorProfile = 'docker-default';
      spec.process.selinuxLabel = 'system_u:system_r:container_t:s0';
      spec.linux.mountLabel = 'system_u:object_r:container_file_t:s0';
    });

  it('runs the container and warns in the --log file for each label', () => {
    const log = join(fx.dir, 'log.json');
    const r = runtime(fx.root, '--log', log, '--log-format', 'json', 'run', '--bundle', labelled(), 'labels');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'with --log, warnings stay out of the container’s stderr');
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    const warnings = lines.filter((l) => l.level === 'warning').map((l) => l.msg);
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.match(warnings[0]!, /apparmorProfile 'docker-default' is not applied/);
    assert.match(warnings[1]!, /selinuxLabel .* is not applied/);
    assert.match(warnings[2]!, /mountLabel .* is not applied/);
  });

  it('warns on stderr without --log', () => {
    const r = runtime(fx.root, 'run', '--bundle', labelled(), 'labels2');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /warning: apparmorProfile 'docker-default' is not applied: AppArmor is not supported/,
    );
  });
});
