// `berth build` end to end on the real kernel: RUN steps in Berth containers on overlay
// snapshots, COPY/ADD from a context with .dockerignore, multi-stage COPY --from, the layer
// cache, whiteouts, failures that leave nothing behind, and sources that try to leave the context.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstat, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { OverlaySnapshotter } from '../../../src/storage/index.ts';
import { removeEmptyCgroups } from '../../fixtures/cgroups.ts';
import {
  activeSnapshots,
  type BuildEnv,
  berth,
  buildEnv,
  entries,
  flatten,
  imageConfig,
  mountsUnder,
  writeTree,
} from './build-harness.ts';

// RUN steps' containers leave their parent cgroup (/berth) behind once they are gone.
after(() => removeEmptyCgroups('berth'));

import { tempDir } from './registry-harness.ts';

const CONTAINERFILE = `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM $BASE AS builder
ARG VERSION=0
WORKDIR /src
COPY src/ ./
RUN echo "built $VERSION" > /src/out.txt \\
 && echo 'builderuser:x:1234:1234::/src:/bin/sh' >> /etc/passwd

FROM busybox
ARG VERSION
ENV APP_HOME=/app GREETING="hello world"
LABEL org.example.version=$VERSION maintainer="berth test"
WORKDIR $APP_HOME
COPY --from=builder /src/out.txt ./
COPY --chown=nobody:nobody --chmod=640 config.txt conf/
ADD bundle.tar.gz /opt/
COPY ["link.txt", "docs", "./"]
RUN rm /bin/vi && echo "$GREETING" > greeting.txt && test "$(stat -c %U conf/config.txt)" = nobody \\
 && rm -rf /home && mkdir /home && touch /home/new
USER nobody
EXPOSE 8080 53/udp
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/out.txt"]
`;

async function context(dir: string): Promise<string> {
  const ctx = join(dir, 'ctx');
  await writeTree(ctx, {
    Containerfile: CONTAINERFILE,
    '.dockerignore': '**/*.secret\ndocs/**\n!docs/keep.md\n',
    'src/main.c': 'int main(void) { return 0; }\n',
    'src/key.secret': 'do not copy\n',
    'config.txt': 'port=8080\n',
    'docs/keep.md': 'kept\n',
    'docs/drop.md': 'dropped\n',
    'bundle/bin/tool': '#!/bin/sh\necho tool\n',
  });
  await symlink('config.txt', join(ctx, 'link.txt'));
  execFileSync('tar', ['-czf', join(ctx, 'bundle.tar.gz'), '-C', ctx, 'bundle']);
  return ctx;
}

function build(env: BuildEnv, ctx: string, extra: string[] = []) {
  return berth(env, [
    'build',
    '--build-arg',
    'VERSION=7',
    '-t',
    'local/app:1',
    '-t',
    'local/app:latest',
    ...extra,
    ctx,
  ]);
}

test('a multi-stage build: config, layers and files as the Containerfile says', async (t) => {
  const dir = await tempDir(t, 'build-multi');
  const env = buildEnv(dir);
  const ctx = await context(dir);
  const r = build(env, ctx);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /STEP 1\/20: FROM \$BASE AS builder/);
  assert.match(r.stderr, /STEP 15\/20: RUN rm \/bin\/vi/);
  const image = await env.images.get('local/app:1');
  assert.deepEqual(image.names.sort(), ['docker.io/local/app:1', 'docker.io/local/app:latest']);
  assert.equal(r.stdout.trim().split('\n').at(-1), image.id);

  const config = await imageConfig(env, image);
  const c = config.config;
  assert.ok(c.Env.includes('APP_HOME=/app') && c.Env.includes('GREETING=hello world'));
  assert.ok(!c.Env.some((e: string) => e.startsWith('VERSION=')), 'ARG values stay out of the image');
  assert.deepEqual(c.Labels, {
    'io.berth.base-image': 'busybox',
    'io.berth.busybox.version': c.Labels['io.berth.busybox.version'],
    'org.example.version': '7',
    maintainer: 'berth test',
  });
  assert.equal(c.WorkingDir, '/app');
  assert.equal(c.User, 'nobody');
  assert.deepEqual(Object.keys(c.ExposedPorts).sort(), ['53/udp', '8080/tcp']);
  assert.equal(c.StopSignal, 'SIGTERM');
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(c.Cmd, ['cat /app/out.txt']);
  // busybox's layer + COPY --from, COPY, ADD, COPY, RUN.
  assert.equal(image.layers.length, 6);
  assert.equal(config.rootfs.diff_ids.length, 6);
  const history = config.history as { created_by: string; empty_layer?: boolean }[];
  assert.equal(history.filter((h) => !h.empty_layer).length, 6);
  assert.ok(history.some((h) => h.created_by.startsWith('LABEL') && h.empty_layer));

  const root = join(dir, 'rootfs');
  await flatten(env, image, root);
  assert.equal(await readFile(join(root, 'app/out.txt'), 'utf8'), 'built 7\n');
  assert.equal(await readFile(join(root, 'app/greeting.txt'), 'utf8'), 'hello world\n');
  const conf = await lstat(join(root, 'app/conf/config.txt'));
  assert.deepEqual([conf.uid, conf.gid, conf.mode & 0o777], [65534, 65534, 0o640]);
  assert.equal(await readFile(join(root, 'opt/bundle/bin/tool'), 'utf8'), '#!/bin/sh\necho tool\n');
  assert.equal(await readlink(join(root, 'app/link.txt')), 'config.txt');
  assert.deepEqual((await entries(join(root, 'app'))).sort(), [
    'conf',
    'greeting.txt',
    'keep.md',
    'link.txt',
    'out.txt',
  ]);
  await assert.rejects(lstat(join(root, 'bin/vi')), { code: 'ENOENT' });
  assert.ok(
    !(await readFile(join(root, 'etc/passwd'), 'utf8')).includes('builderuser'),
    'the builder stage stays out',
  );
  assert.equal(
    execFileSync('chroot', [root, '/bin/sh', '-c', 'cat /app/out.txt'], { encoding: 'utf8' }),
    'built 7\n',
  );

  // The RUN that deleted /bin/vi from the base carries an OCI whiteout, not an overlay device.
  const runLayer = env.content.blobPath(image.layers[5]!.digest);
  const listing = execFileSync('tar', ['-tvzf', runLayer], { encoding: 'utf8' });
  assert.match(listing, /^-\S+ 0\/0 +0 .* bin\/\.wh\.vi$/m);
  assert.match(listing, /^-\S+ 0\/0 +0 .* home\/\.wh\.\.wh\.\.opq$/m, 'a re-created directory is opaque');
  assert.match(listing, / home\/new$/m);
  assert.doesNotMatch(listing, /resolv\.conf/, 'the resolv.conf mount point stays out of the layer');
  assert.deepEqual(await activeSnapshots(env), []);

  // `berth image build --target` builds only up to that stage.
  const target = berth(env, ['image', 'build', '--target', 'builder', '-t', 'local/builder', ctx]);
  assert.equal(target.status, 0, target.stderr);
  assert.match(target.stderr, /STEP 5\/5: RUN/);
  assert.equal((await env.images.get('local/builder')).layers.length, 3);
});

test('the layer cache: hits on a rebuild, misses from a changed file on, and --no-cache', async (t) => {
  const dir = await tempDir(t, 'build-cache');
  const env = buildEnv(dir);
  const ctx = await context(dir);
  assert.equal(build(env, ctx).status, 0);
  const first = await env.images.get('local/app:1');
  const again = build(env, ctx);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stderr.match(/--> CACHED/g)?.length, 7, again.stderr); // COPY+RUN, then 5 in the final stage
  assert.deepEqual((await env.images.get('local/app:1')).layers, first.layers);

  await writeFile(join(ctx, 'config.txt'), 'port=9090\n');
  const changed = build(env, ctx);
  assert.equal(changed.status, 0, changed.stderr);
  // builder COPY + RUN and the final COPY --from still hit; the COPY of config.txt and after do not.
  assert.equal(changed.stderr.match(/--> CACHED/g)?.length, 3, changed.stderr);
  const image = await env.images.get('local/app:1');
  assert.deepEqual(image.layers.slice(0, 2), first.layers.slice(0, 2));
  assert.notDeepEqual(image.layers[2], first.layers[2]);
  const root = join(dir, 'rootfs');
  await flatten(env, image, root);
  assert.equal(await readFile(join(root, 'app/conf/config.txt'), 'utf8'), 'port=9090\n');

  const fresh = build(env, ctx, ['--no-cache']);
  assert.equal(fresh.status, 0, fresh.stderr);
  assert.doesNotMatch(fresh.stderr, /CACHED/);
});

test('a failing RUN: the step, exit code and output, and nothing left behind (nor what a killed build left)', async (t) => {
  const dir = await tempDir(t, 'build-fail');
  const env = buildEnv(dir);
  const ctx = join(dir, 'ctx');
  await writeTree(ctx, {
    Containerfile: 'FROM busybox\nCOPY a.txt /a.txt\nRUN echo about to fail && touch /half-done && exit 3\n',
    'a.txt': 'a\n',
  });
  // What a build killed with SIGKILL would leave: a mount in its work dir and an active snapshot.
  const leftover = join(env.stateDir, 'build/work/0123abcd/rootfs');
  await mkdir(leftover, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', leftover]);
  t.after(() => spawnSync('umount', ['-l', leftover]));
  await new OverlaySnapshotter(join(env.stateDir, 'snapshots/overlay')).prepare('build-0123abcd');
  const r = berth(env, ['build', '-t', 'local/fail', ctx]);
  assert.notEqual(r.status, 0);
  assert.match(
    r.stderr,
    /step 3\/3 'RUN echo about to fail && touch \/half-done && exit 3' \(Containerfile:3\) exited with code 3/,
  );
  assert.match(r.stderr, /last output:\n {2}about to fail/);
  assert.deepEqual(await mountsUnder(dir), []);
  assert.deepEqual(await entries(join(env.runDir, 'build')), [], 'no container state left');
  assert.deepEqual(await entries(join(env.stateDir, 'build/work')), [], 'no work dir left');
  const cgroups = await entries('/sys/fs/cgroup/pids/berth');
  assert.deepEqual(
    cgroups.filter((c) => c.startsWith('berth-build-')),
    [],
    'no cgroup left',
  );
  assert.deepEqual(await activeSnapshots(env), []);
  assert.equal(await env.images.find('local/fail'), undefined);
});

test('sources outside the context are refused: ../ paths, symlinks out, URLs', async (t) => {
  const dir = await tempDir(t, 'build-escape');
  const env = buildEnv(dir);
  const ctx = join(dir, 'ctx');
  await writeTree(ctx, { 'ok.txt': 'ok\n' });
  await symlink('/etc', join(ctx, 'etc-link'));
  await symlink('../../..', join(ctx, 'up'));
  const cases: [string, string][] = [
    ['COPY ../etc/passwd /x', 'ERR_IMAGE_BUILD_CONTEXT_ESCAPE'],
    ['COPY etc-link/passwd /x', 'ERR_IMAGE_BUILD_CONTEXT_ESCAPE'],
    ['COPY up/etc/shadow /x', 'ERR_IMAGE_BUILD_CONTEXT_ESCAPE'],
    ['ADD http://example.com/x.tar /x', 'ERR_IMAGE_BUILD_REMOTE_SOURCE'],
    ['COPY missing.txt /x', 'ERR_IMAGE_BUILD_SOURCE_NOT_FOUND'],
    ['RUNN true', 'ERR_IMAGE_BUILD_SYNTAX'],
  ];
  for (const [line, code] of cases) {
    await writeFile(join(ctx, 'Containerfile'), `FROM busybox\n${line}\n`);
    const r = berth(env, ['build', '--json', ctx]);
    assert.notEqual(r.status, 0, line);
    assert.equal(JSON.parse(r.stdout || r.stderr).error.code, code, line);
  }
  await writeFile(join(ctx, 'Containerfile'), 'FROM busybox\nCOPY ../etc/passwd /x\n');
  assert.match(
    berth(env, ['build', ctx]).stderr,
    /Containerfile:2: '..\/etc\/passwd' is outside the build context/,
  );
  await writeFile(join(ctx, 'Containerfile'), 'FROM busybox\nRUNN true\n');
  const syntax = berth(env, ['build', ctx]);
  assert.match(syntax.stderr, /Containerfile:2: unknown instruction 'RUNN'/);
  assert.deepEqual(await mountsUnder(dir), []);
  assert.deepEqual(await activeSnapshots(env), []);
});
