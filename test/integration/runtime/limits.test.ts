// The runtime's cgroups on the real kernel: limits enforced, pause/resume, update, events,
// processes found through the cgroup, and no cgroup left in any hierarchy afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BERTH_RUNTIME,
  type BundleSpec,
  cgroupsLeft,
  createFixture,
  makeBundle,
  type RuntimeFixture,
  runBundle,
  runtime,
  runtimeEnv,
} from './fixture.ts';

const MiB = 1024 * 1024;
// The shell's command substitution holds 200 MB: far beyond a 32 MiB limit.
const ALLOCATE = 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived';

function withResources(resources: NonNullable<BundleSpec['linux']['resources']>) {
  return (spec: BundleSpec) => {
    spec.linux.resources = { ...spec.linux.resources, ...resources };
  };
}

describe('berth-runtime cgroups', () => {
  let fx: RuntimeFixture;
  before(() => {
    fx = createFixture();
  });
  after(() => fx.cleanup());

  const ok = (...args: string[]) => {
    const r = runtime(fx.root, ...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const status = (id: string) => JSON.parse(ok('state', id)).status as string;
  const cgroupDir = (id: string, controller: string): string => {
    const record = JSON.parse(readFileSync(join(fx.root, id, 'state.json'), 'utf8'));
    return record.cgroupPaths[controller];
  };
  const startSleeper = (id: string, edit?: (spec: BundleSpec) => void) => {
    ok('create', '--bundle', makeBundle(fx, ['sleep', '1000'], edit), id);
    ok('start', id);
  };

  it('enforces a memory limit: the process that outgrows it is OOM-killed', () => {
    const bundle = makeBundle(
      fx,
      ['sh', '-c', ALLOCATE],
      withResources({ memory: { limit: 32 * MiB, swap: 32 * MiB } }),
    );
    const r = runBundle(fx, 'oom', bundle);
    assert.equal(r.status, 137, `expected SIGKILL (128 + 9), got ${r.status}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /survived/);
    assert.deepEqual(cgroupsLeft('/berth/oom'), []);
  });

  it('enforces a pids limit: forks beyond it fail', (t) => {
    t.after(() => runtime(fx.root, 'delete', '--force', 'pids'));
    startSleeper('pids', withResources({ pids: { limit: 8 } }));
    // The exec'd shell forks until the kernel refuses, then fails; its sleeps stay behind.
    const r = runtime(fx.root, 'exec', 'pids', 'sh', '-c', 'for i in $(seq 20); do sleep 100 & done');
    assert.notEqual(r.status, 0, 'the shell failed to fork');
    assert.match(r.stderr, /can't fork/);
    const pids = JSON.parse(ok('ps', '--format', 'json', 'pids')) as number[];
    // At the refusal: init, the shell and 6 sleeps made 8; the shell has exited since.
    assert.equal(pids.length, 7, `init and 6 sleeps are left (${pids.length})`);
    const events = readFileSync(join(cgroupDir('pids', 'pids'), 'pids.events'), 'utf8');
    assert.match(events, /^max [1-9]/m);
  });

  it('pauses (freezer) and resumes a container', async (t) => {
    t.after(() => runtime(fx.root, 'delete', '--force', 'frozen'));
    startSleeper('frozen');
    const pid = JSON.parse(ok('state', 'frozen')).pid as number;
    ok('pause', 'frozen');
    assert.equal(status('frozen'), 'paused');
    assert.equal(
      readFileSync(join(cgroupDir('frozen', 'freezer'), 'freezer.state'), 'utf8').trim(),
      'FROZEN',
    );
    assert.match(runtime(fx.root, 'pause', 'frozen').stderr, /cannot pause container 'frozen': it is paused/);
    assert.match(runtime(fx.root, 'exec', 'frozen', 'true').stderr, /it is paused/);
    ok('resume', 'frozen');
    assert.equal(status('frozen'), 'running');
    assert.equal(
      readFileSync(join(cgroupDir('frozen', 'freezer'), 'freezer.state'), 'utf8').trim(),
      'THAWED',
    );
    assert.match(runtime(fx.root, 'resume', 'frozen').stderr, /it is running/);
    assert.equal(JSON.parse(ok('state', 'frozen')).pid, pid);
  });

  it('update changes limits, from flags and from --resources', (t) => {
    t.after(() => runtime(fx.root, 'delete', '--force', 'upd'));
    startSleeper('upd', withResources({ memory: { limit: 64 * MiB }, pids: { limit: 10 } }));
    const memory = join(cgroupDir('upd', 'memory'), 'memory.limit_in_bytes');
    const pids = join(cgroupDir('upd', 'pids'), 'pids.max');
    assert.equal(readFileSync(memory, 'utf8').trim(), String(64 * MiB));
    ok('update', '--memory', '100m', '--pids-limit', '20', '--cpu-shares', '512', 'upd');
    assert.equal(readFileSync(memory, 'utf8').trim(), String(100 * MiB));
    assert.equal(readFileSync(pids, 'utf8').trim(), '20');
    assert.equal(readFileSync(join(cgroupDir('upd', 'cpu'), 'cpu.shares'), 'utf8').trim(), '512');
    const file = join(fx.dir, 'resources.json');
    writeFileSync(file, JSON.stringify({ pids: { limit: 30 } }));
    ok('update', '--resources', file, 'upd');
    assert.equal(readFileSync(pids, 'utf8').trim(), '30');
    const bad = runtime(fx.root, 'update', '--memory', 'lots', 'upd');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--memory: 'lots' is not a size/);
  });

  it('events --stats reports the cgroup numbers', (t) => {
    t.after(() => runtime(fx.root, 'delete', '--force', 'stats'));
    startSleeper('stats', withResources({ memory: { limit: 48 * MiB }, pids: { limit: 12 } }));
    const event = JSON.parse(ok('events', '--stats', 'stats'));
    assert.equal(event.type, 'stats');
    assert.equal(event.id, 'stats');
    assert.equal(event.data.memory.usage.limit, 48 * MiB);
    assert.ok(event.data.memory.usage.usage > 0, 'memory usage');
    assert.deepEqual(event.data.pids, { current: 1, limit: 12 });
    assert.ok(event.data.cpu.usage.total > 0, 'cpu time');
  });

  it('events streams stats and an OOM event, and ends when the container stops', async (t) => {
    t.after(() => runtime(fx.root, 'delete', '--force', 'ev'));
    // The subshell and its children volunteer as the OOM killer's victims. Size alone is not
    // enough: while the first victim's memory is being freed, its pipeline may run the cgroup out
    // again, and a second kill would then take the next biggest process, init.
    const script = `sleep 1; (echo 1000 > /proc/self/oom_score_adj; ${ALLOCATE}); sleep 1000`;
    ok(
      'create',
      '--bundle',
      makeBundle(fx, ['sh', '-c', script], withResources({ memory: { limit: 32 * MiB, swap: 32 * MiB } })),
      'ev',
    );
    const events = spawn(BERTH_RUNTIME, ['--root', fx.root, 'events', '--interval', '200ms', 'ev'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: runtimeEnv(fx.dir),
    });
    t.after(() => events.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => events.on('exit', resolve));
    let output = '';
    const seen = (type: string) => output.split('\n').some((l) => l.startsWith(`{"type":"${type}"`));
    const until = (type: string) =>
      new Promise<void>((resolve) => {
        const check = () => seen(type) && resolve();
        events.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          check();
        });
        check();
      });
    await until('stats');
    ok('start', 'ev');
    await until('oom');
    assert.equal(status('ev'), 'running', 'init survived the OOM kill of its child');
    ok('kill', 'ev', 'KILL');
    assert.equal(await exited, 0);
  });

  it('ps and kill --all reach exec’d processes through the cgroup', async (t) => {
    t.after(() => runtime(fx.root, 'delete', '--force', 'family'));
    startSleeper('family');
    const pidFile = join(fx.dir, 'exec.pid');
    ok('exec', '--detach', '--pid-file', pidFile, 'family', 'sleep', '999');
    const execPid = Number(readFileSync(pidFile, 'utf8'));
    const init = JSON.parse(ok('state', 'family')).pid as number;
    assert.deepEqual(
      (JSON.parse(ok('ps', '--format', 'json', 'family')) as number[]).sort(),
      [init, execPid].sort(),
    );
    const procs = readFileSync(join(cgroupDir('family', 'memory'), 'cgroup.procs'), 'utf8');
    assert.ok(procs.split('\n').includes(String(execPid)), 'the exec’d process is in the memory cgroup');
    ok('kill', '--all', 'family', 'KILL');
    for (let i = 0; i < 200 && status('family') !== 'stopped'; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(status('family'), 'stopped');
    for (let i = 0; i < 200 && existsSync(`/proc/${execPid}`); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(existsSync(`/proc/${execPid}`), false, 'the exec’d process was killed too');
  });

  it('removes the cgroup in every hierarchy on delete, with a custom cgroupsPath', (t) => {
    const path = `/berth-test-${process.pid}/custom`;
    t.after(() => runtime(fx.root, 'delete', '--force', 'custom'));
    startSleeper('custom', (spec) => {
      spec.linux.cgroupsPath = path;
    });
    const left = cgroupsLeft(path);
    assert.ok(left.length >= 2, `the cgroup exists in every hierarchy (${left.join(', ')})`);
    ok('delete', '--force', 'custom');
    assert.deepEqual(cgroupsLeft(path), []);
    for (const dir of cgroupsLeft(`/berth-test-${process.pid}`)) rmdirSync(dir);
  });

  it('leaves no cgroup behind when create fails after making it', () => {
    const path = `/berth-test-${process.pid}/failed`;
    const bundle = makeBundle(fx, ['/no/such/program'], (spec) => {
      spec.linux.cgroupsPath = path;
    });
    const r = runtime(fx.root, 'create', '--bundle', bundle, 'failed');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no\/such\/program/);
    assert.deepEqual(cgroupsLeft(path), []);
    for (const dir of cgroupsLeft(`/berth-test-${process.pid}`)) rmdirSync(dir);
  });
});
