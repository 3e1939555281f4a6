// A full disk under the state directory: `berth pull`, `berth load`, `berth import`, the unpack
// of `berth run` and `berth build` each fail with one line naming ENOSPC and what was being written, keep no
// half-written blob, record no image, leave the images already there intact, and succeed once
// space is freed. The state directory is a size-limited tmpfs each test mounts itself.
import assert from 'node:assert/strict';
import { execFileSync, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeEmptyCgroups } from '../../fixtures/cgroups.ts';
import { buildLayout, run, skopeoCopy, startRegistry, tempDir } from './registry-harness.ts';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));
const MiB = 1024 * 1024;
// The big image's third layer is this much random data: it compresses to nothing less.
const BIG = 24 * MiB;

interface Cleanup {
  after(fn: () => Promise<void> | void): void;
}

interface SmallDisk {
  state: string;
  /** BERTH_RUN_DIR: bundles and container state, outside the small disk. */
  runDir: string;
  berth(args: string[]): SpawnSyncReturns<string>;
  /** Grows or shrinks the tmpfs (`mount -o remount,size=`). */
  resize(mib: number): void;
  usedMiB(): number;
  /** Fills the disk with a file outside the state directory, leaving `pages` 4 KiB pages free; returns its path. */
  fill(pages?: number): string;
}

/** A tmpfs of `mib` MiB holding BERTH_STATE_DIR, unmounted (then removed) when the test ends. */
async function smallDisk(t: Cleanup, dir: string, mib: number): Promise<SmallDisk> {
  // Its own temp dir: after-hooks run in the order registered, and one that fails stops the rest.
  const mnt = await mkdtemp(join(tmpdir(), 'berth-fulldisk-mnt-'));
  t.after(() => unmountAndRemove(mnt));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0755`, 'tmpfs', mnt]);
  const state = join(mnt, 'state');
  const env = {
    ...process.env,
    BERTH_CLI_HOST: 'off',
    BERTH_STATE_DIR: state,
    BERTH_CONFIG_DIR: join(dir, 'config'),
    BERTH_RUN_DIR: join(dir, 'run'),
    BERTH_RUNTIME_ROOT: join(dir, 'runtime'),
  };
  return {
    state,
    runDir: env.BERTH_RUN_DIR,
    berth: (args) => spawnSync(BERTH, args, { encoding: 'utf8', env, maxBuffer: 64 * MiB }),
    resize: (size) => execFileSync('mount', ['-o', `remount,size=${size}m`, mnt]),
    fill: (pages = 0) => {
      const filler = join(mnt, 'filler');
      const spare = join(mnt, 'spare');
      if (pages > 0) writeFileSync(spare, Buffer.alloc(pages * 4096));
      // dd stops at ENOSPC (exit 1) once every block is taken.
      spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4096'], { stdio: 'ignore' });
      assert.equal(statfsSync(mnt).bavail, 0, 'the disk is full');
      rmSync(spare, { force: true });
      return filler;
    },
    usedMiB: () => {
      const s = statfsSync(mnt);
      return ((s.blocks - s.bfree) * s.bsize) / MiB;
    },
  };
}

async function unmountAndRemove(mnt: string): Promise<void> {
  if (readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${mnt} `)) {
    if (spawnSync('umount', [mnt]).status !== 0) spawnSync('umount', ['-l', mnt]);
  }
  await rmdir(mnt);
}

/** Exit status, one `berth: no space left on device writing <what>` line and a hint, no stack. */
function assertDiskFull(result: SpawnSyncReturns<string>, status: number, what: RegExp): void {
  assert.equal(result.status, status, `${result.stdout}\n${result.stderr}`);
  const errors = result.stderr.split('\n').filter((l) => l.startsWith('berth: '));
  assert.equal(errors.length, 1, result.stderr);
  assert.match(errors[0]!, /^berth: no space left on device writing /);
  assert.match(errors[0]!, what);
  assert.match(result.stderr, /\nhint: free space on that filesystem \('berth image prune'/);
  assert.doesNotMatch(result.stderr, /\n\s+at |internal error|AggregateError/);
}

function ok(result: SpawnSyncReturns<string>): string {
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * What a failure must not leave: a blob whose bytes are not its digest, a temp or lock file in
 * the content store or the snapshot records, an unpack or run snapshot, a mount, a run record.
 */
function assertNothingHalfDone(state: string, runDir?: string): void {
  const blobs = join(state, 'content', 'blobs', 'sha256');
  for (const hex of existsSync(blobs) ? readdirSync(blobs) : []) {
    const actual = createHash('sha256')
      .update(readFileSync(join(blobs, hex)))
      .digest('hex');
    assert.equal(actual, hex, `blob ${hex} is complete and verified`);
  }
  const ingest = join(state, 'content', 'ingest');
  assert.deepEqual(existsSync(ingest) ? readdirSync(ingest) : [], [], 'no partial, temp or lock file');
  const overlay = join(state, 'snapshots', 'overlay');
  if (existsSync(overlay)) {
    assert.deepEqual(
      readdirSync(overlay).filter((n) => n !== 'metadata.json' && n !== 'snapshots'),
      [],
      'no temp or lock file beside the snapshot records',
    );
    const file = join(overlay, 'metadata.json');
    const records = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { snapshots: {} }) as {
      snapshots: Record<string, { id: number }>;
    };
    const keys = Object.keys(records.snapshots);
    assert.deepEqual(
      keys.filter((k) => /^(extract|run|build|view)-/.test(k)),
      [],
      'no active unpack, run or build snapshot',
    );
    const ids = Object.values(records.snapshots).map((r) => String(r.id));
    const dirs = existsSync(join(overlay, 'snapshots')) ? readdirSync(join(overlay, 'snapshots')) : [];
    assert.deepEqual(dirs.sort(), ids.sort(), 'no unrecorded directory');
  }
  const runs = join(state, 'runs');
  assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], [], 'no run record or bundle');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.equal(mounts.includes(`${state}/`), false, 'nothing mounted under the state directory');
  if (runDir === undefined) return;
  for (const sub of ['bundles', 'containers']) {
    const path = join(runDir, sub);
    assert.deepEqual(existsSync(path) ? readdirSync(path) : [], [], `no ${sub} left in the run directory`);
  }
  assert.equal(mounts.includes(`${runDir}/`), false, 'nothing mounted under the run directory');
}

/** Every name `berth images` lists, sorted. */
function imageNames(disk: SmallDisk): string[] {
  const list = JSON.parse(ok(disk.berth(['--json', 'images']))) as { names: string[] }[];
  return list.flatMap((i) => i.names).sort();
}

interface Archives {
  small: string;
  big: string;
  /** A rootfs tarball of BIG bytes for `berth import`. */
  rootfs: string;
  smallLayout: string;
  bigLayout: string;
}

async function archives(dir: string): Promise<Archives> {
  await buildLayout(join(dir, 'small'), { tag: 'v1', architectures: ['amd64'], extraBytes: 64 * 1024 });
  await buildLayout(join(dir, 'big'), { tag: 'v1', architectures: ['amd64'], extraBytes: BIG });
  const smallLayout = `oci:${join(dir, 'small', 'layout')}:v1`;
  const bigLayout = `oci:${join(dir, 'big', 'layout')}:v1`;
  const small = join(dir, 'small.tar');
  const big = join(dir, 'big.tar');
  await skopeoCopy(smallLayout, `docker-archive:${small}:fd/small:v1`);
  await skopeoCopy(bigLayout, `docker-archive:${big}:fd/big:v1`);
  const rootfs = join(dir, 'rootfs.tar');
  await run('tar', ['-C', join(dir, 'big', 'roots', 'l3'), '-cf', rootfs, '.']);
  return { small, big, rootfs, smallLayout, bigLayout };
}

describe('a full disk under the image store', () => {
  it('berth pull fails naming the layer, stores nothing half-written, and succeeds after space is freed', async (t) => {
    const dir = await tempDir(t, 'fulldisk-pull');
    const a = await archives(join(dir, 'src'));
    const registry = await startRegistry(t, join(dir, 'registry'), { kind: 'none' });
    await skopeoCopy(a.smallLayout, `docker://${registry.host}/fd/small:v1`);
    await skopeoCopy(a.bigLayout, `docker://${registry.host}/fd/big:v1`);
    const disk = await smallDisk(t, dir, 16);
    const small = `${registry.host}/fd/small:v1`;
    const big = `${registry.host}/fd/big:v1`;
    ok(disk.berth(['pull', small]));

    assertDiskFull(
      disk.berth(['pull', big]),
      1,
      /blob sha256:[0-9a-f]{64} of 127\.0\.0\.1:\d+\/fd\/big to .*\/content\/ingest\//,
    );
    assertNothingHalfDone(disk.state);
    assert.deepEqual(imageNames(disk), [`${registry.host}/fd/small:v1`], 'no image recorded for big');
    assert.equal(disk.berth(['image', 'inspect', big]).status, 1);
    ok(disk.berth(['image', 'inspect', small]));

    disk.resize(96);
    ok(disk.berth(['pull', big]));
    assert.deepEqual(imageNames(disk), [big, small].sort());
    assertNothingHalfDone(disk.state);
  });

  it('berth load, import and save fail naming what they wrote, and succeed after space is freed', async (t) => {
    const dir = await tempDir(t, 'fulldisk-load');
    const a = await archives(join(dir, 'src'));
    const disk = await smallDisk(t, dir, 16);
    ok(disk.berth(['load', '-i', a.small]));
    const before = ok(disk.berth(['image', 'inspect', 'docker.io/fd/small:v1']));

    assertDiskFull(
      disk.berth(['load', '-i', a.big]),
      1,
      /big\.tar: [0-9a-f]{64}\.tar to .*\/content\/ingest\//,
    );
    assertNothingHalfDone(disk.state);
    assertDiskFull(
      disk.berth(['import', a.rootfs, 'docker.io/fd/imported:v1']),
      1,
      /the layer of .*rootfs\.tar to .*\/content\/ingest\//,
    );
    assertNothingHalfDone(disk.state);
    assert.deepEqual(imageNames(disk), ['docker.io/fd/small:v1']);
    assert.equal(
      ok(disk.berth(['image', 'inspect', 'docker.io/fd/small:v1'])),
      before,
      'the image already there is intact',
    );

    // Not a free block left: reading works, prune works (its locks need no block), and a change
    // that must rewrite the records fails naming them and changes nothing.
    const filler = disk.fill();
    assert.deepEqual(imageNames(disk), ['docker.io/fd/small:v1']);
    ok(disk.berth(['image', 'inspect', 'docker.io/fd/small:v1']));
    ok(disk.berth(['image', 'prune']));
    assertDiskFull(disk.berth(['rmi', 'docker.io/fd/small:v1']), 1, /\/images\/images\.json$/m);
    assertDiskFull(disk.berth(['tag', 'docker.io/fd/small:v1', 'fd/other:v1']), 1, /images\.json/);
    assert.deepEqual(imageNames(disk), ['docker.io/fd/small:v1']);
    assertNothingHalfDone(disk.state);
    await rm(filler);

    // berth save to a full filesystem: its output is removed, the store is untouched.
    const out = await smallDisk(t, dir, 1);
    const archive = join(out.state, 'small.tar');
    await mkdir(out.state);
    const save = disk.berth(['save', '-o', archive, 'docker.io/fd/small:v1']);
    assert.equal(save.status, 1, save.stderr);
    assert.match(
      save.stderr,
      /^berth: no space left on device writing the archive .*small\.tar\nhint: free space where/m,
    );
    assert.deepEqual(readdirSync(out.state), [], 'no partial archive');
    out.resize(16);
    ok(disk.berth(['save', '-o', archive, 'docker.io/fd/small:v1']));

    disk.resize(128);
    ok(disk.berth(['load', '-i', a.big]));
    ok(disk.berth(['import', a.rootfs, 'docker.io/fd/imported:v1']));
    assert.deepEqual(imageNames(disk), [
      'docker.io/fd/big:v1',
      'docker.io/fd/imported:v1',
      'docker.io/fd/small:v1',
    ]);
    assertNothingHalfDone(disk.state);
  });

  it('berth run whose layers do not fit unpacked exits 125 naming the layer and leaves nothing behind', async (t) => {
    t.after(() => removeEmptyCgroups('berth'));
    const dir = await tempDir(t, 'fulldisk-run');
    const a = await archives(join(dir, 'src'));
    const disk = await smallDisk(t, dir, 96);
    ok(disk.berth(['load', '-i', a.small]));
    ok(disk.berth(['load', '-i', a.big]));
    // The blobs fit; the big layer unpacked (BIG more) does not, the small image's layers do.
    disk.resize(Math.ceil(disk.usedMiB()) + 12);

    const failed = disk.berth(['run', 'docker.io/fd/big:v1', 'ls', '/data']);
    assertDiskFull(failed, 125, /layer sha256:[0-9a-f]{64} \(entry #\d+ '\.\/data\/random'\)/);
    assertNothingHalfDone(disk.state, disk.runDir);
    assert.deepEqual(imageNames(disk), ['docker.io/fd/big:v1', 'docker.io/fd/small:v1']);
    ok(disk.berth(['image', 'inspect', 'docker.io/fd/big:v1']));
    assert.equal(ok(disk.berth(['run', 'docker.io/fd/small:v1', 'cat', '/etc/hello'])), 'hello from berth\n');
    assertNothingHalfDone(disk.state, disk.runDir);

    // Not a block left, even for the records of the container's own snapshot.
    const filler = disk.fill();
    const full = disk.berth(['run', 'docker.io/fd/small:v1', 'cat', '/etc/hello']);
    assertDiskFull(full, 125, /\/state\/runs\/[0-9a-f]+\.json$/m);
    assertNothingHalfDone(disk.state, disk.runDir);
    await rm(filler);
    // One page: the run record fits, the snapshot records after it do not.
    const almost = disk.fill(1);
    const records = disk.berth(['run', 'docker.io/fd/small:v1', 'cat', '/etc/hello']);
    assertDiskFull(records, 125, /the snapshot records .*\/metadata\.json$/m);
    assertNothingHalfDone(disk.state, disk.runDir);
    await rm(almost);

    disk.resize(160);
    assert.equal(ok(disk.berth(['run', 'docker.io/fd/big:v1', 'ls', '/data'])), 'random\n');
    assertNothingHalfDone(disk.state, disk.runDir);
  });

  it('berth build that does not fit fails naming what it wrote, leaves nothing behind, and succeeds after space is freed', async (t) => {
    t.after(() => removeEmptyCgroups('berth'));
    const dir = await tempDir(t, 'fulldisk-build');
    const disk = await smallDisk(t, dir, 16);
    const context = async (name: string, containerfile: string) => {
      const path = join(dir, name);
      await mkdir(path);
      writeFileSync(join(path, 'Containerfile'), containerfile);
      return path;
    };
    ok(disk.berth(['build', '-t', 'fd/small', await context('small', 'FROM busybox\nRUN echo hi > /hi\n')]));
    const before = ok(disk.berth(['image', 'inspect', 'fd/small']));
    const images = imageNames(disk);
    const unchanged = () => {
      assertBuildLeftNothing(disk);
      assert.deepEqual(imageNames(disk), images, 'no image recorded');
      assert.equal(
        ok(disk.berth(['image', 'inspect', 'fd/small'])),
        before,
        'the image already there is intact',
      );
    };
    const free = statfsSync(disk.state);
    const freeMiB = Math.floor((free.bavail * free.bsize) / MiB);

    // The step's own writes fill its writable layer: the step fails, its output says why.
    const zeros = await context(
      'zeros',
      `FROM busybox\nRUN dd if=/dev/zero of=/big bs=1M count=${freeMiB + 8}\n`,
    );
    const inRun = disk.berth(['build', '-t', 'fd/x', zeros]);
    assert.equal(inRun.status, 1, inRun.stderr);
    assert.match(inRun.stderr, /^berth: step 2\/2 'RUN dd [^']*' \(Containerfile:2\) exited with code 1; /m);
    assert.match(inRun.stderr, /last output:\n(.*\n)* {2}.*No space left on device/);
    assert.match(
      inRun.stderr,
      /exited with code 1; the filesystem of .*\/state\/build\/work is full; last output:/,
    );
    unchanged();

    // The step fits, its layer (as much again: random bytes do not compress) does not.
    const random = await context(
      'random',
      `FROM busybox\nRUN head -c ${Math.ceil(freeMiB * 0.6)}m /dev/urandom > /big\n`,
    );
    assertDiskFull(
      disk.berth(['build', '-t', 'fd/x', random]),
      1,
      /the layer the step made to .*\/content\/ingest\/\S+ in step 2\/2 'RUN head [^']*' \(Containerfile:2\)$/m,
    );
    unchanged();

    // COPY of a file from the context bigger than the space left.
    const copy = await context('copy', 'FROM busybox\nCOPY big /data/big\n');
    writeFileSync(join(copy, 'big'), Buffer.alloc((freeMiB + 4) * MiB, 7));
    assertDiskFull(
      disk.berth(['build', '-t', 'fd/x', copy]),
      1,
      /\/data\/big in step 2\/2 'COPY big \/data\/big' \(Containerfile:2\)$/m,
    );
    unchanged();

    // Not a block left: the step cannot even record its snapshot.
    const filler = disk.fill();
    const tiny = await context('tiny', 'FROM busybox\nRUN echo tiny > /tiny\n');
    const blocked = disk.berth(['build', '-t', 'fd/x', tiny]);
    assertDiskFull(
      blocked,
      1,
      /the snapshot records .*\/metadata\.json in step 2\/2 'RUN echo tiny > \/tiny' \(Containerfile:2\)$/m,
    );
    unchanged();
    await rm(filler);

    disk.resize(Math.ceil(disk.usedMiB()) + 3 * freeMiB + 64);
    for (const ctx of [zeros, random, copy, tiny]) ok(disk.berth(['build', '-t', 'fd/x', ctx]));
    assert.deepEqual(imageNames(disk), ['docker.io/fd/x:latest', ...images].sort());
    assertBuildLeftNothing(disk);
  });
});

/** What a failed build must not leave, besides what any failure must not: its work dirs, container state, cgroups, processes. */
function assertBuildLeftNothing(disk: SmallDisk): void {
  assertNothingHalfDone(disk.state, disk.runDir);
  const work = join(disk.state, 'build', 'work');
  assert.deepEqual(existsSync(work) ? readdirSync(work) : [], [], 'the build work dir is empty');
  const steps = join(disk.runDir, 'build');
  assert.deepEqual(existsSync(steps) ? readdirSync(steps) : [], [], 'no RUN container state or log left');
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const parent = join('/sys/fs/cgroup', hierarchy, 'berth');
    const left = existsSync(parent) ? readdirSync(parent).filter((n) => n.startsWith('berth-build-')) : [];
    assert.deepEqual(left, [], `no RUN cgroup left in ${hierarchy}`);
  }
  const mnt = join(disk.state, '..');
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let root = '';
    try {
      root = readlinkSync(`/proc/${pid}/root`);
    } catch {
      continue; // gone meanwhile
    }
    assert.equal(root.startsWith(mnt), false, `process ${pid} still runs in a build root filesystem`);
  }
}
