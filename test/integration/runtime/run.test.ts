import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createFixture, makeBundle, type RuntimeFixture, runBundle } from './fixture.ts';

describe('berth-runtime run', () => {
  let fx: RuntimeFixture;
  before(() => {
    fx = createFixture();
  });
  after(() => fx.cleanup());

  const run = (args: string[], edit?: Parameters<typeof makeBundle>[2]) =>
    runBundle(fx, `run-${Math.random().toString(36).slice(2, 8)}`, makeBundle(fx, args, edit));

  it("exits with the container process's status", () => {
    assert.equal(run(['true']).status, 0);
    assert.equal(run(['false']).status, 1);
    const r = run(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.status, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('reports death by signal as 128 + the signal', () => {
    // Outside a pid namespace: init of one ignores SIGKILL from inside.
    const r = run(['sh', '-c', 'kill -9 $$'], (spec) => {
      spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'pid');
    });
    assert.equal(r.status, 137);
  });

  it('sets env, cwd, hostname, and user ids with additional groups', () => {
    const r = run(['sh', '-c', 'echo $FOO; pwd; hostname; id -u; id -g; id -G'], (spec) => {
      spec.process.env.push('FOO=bar baz');
      spec.process.cwd = '/tmp/work';
      spec.process.user = { uid: 1000, gid: 1001, additionalGids: [2000, 2001] };
      spec.hostname = 'boxy';
    });
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.split('\n'), [
      'bar baz',
      '/tmp/work',
      'boxy',
      '1000',
      '1001',
      '1001 2000 2001',
      '',
    ]);
  });

  it('runs the process as pid 1 in its own pid, uts, ipc, net and mount namespaces', () => {
    const r = run(['sh', '-c', 'echo $$; for n in pid uts ipc net mnt; do readlink /proc/self/ns/$n; done']);
    const [pid, ...ns] = r.stdout.trim().split('\n');
    assert.equal(pid, '1');
    for (const [i, type] of ['pid', 'uts', 'ipc', 'net', 'mnt'].entries()) {
      assert.notEqual(
        ns[i],
        readlinkSync(`/proc/self/ns/${type}`),
        `${type} namespace is shared with the host`,
      );
    }
  });

  it('mounts proc, tmpfs with its options and a read-only bind mount', () => {
    const r = run(
      ['sh', '-c', 'grep -E " /(proc|scratch|data) " /proc/mounts; touch /data/x 2>&1; cat /data/hello'],
      (spec) => {
        spec.mounts.push(
          {
            destination: '/scratch',
            type: 'tmpfs',
            source: 'tmpfs',
            options: ['nosuid', 'noexec', 'size=1m', 'mode=700'],
          },
          {
            destination: '/data',
            type: 'bind',
            source: fx.rootfs.replace(/rootfs$/, 'data'),
            options: ['rbind', 'ro'],
          },
        );
      },
    );
    const lines = r.stdout.split('\n');
    assert.match(lines.find((l) => l.startsWith('proc /proc proc')) ?? '', /^proc \/proc proc rw/);
    assert.match(
      lines.find((l) => l.includes(' /scratch ')) ?? '',
      /^tmpfs \/scratch tmpfs rw,nosuid,noexec,.*size=1024k,mode=700/,
    );
    assert.match(lines.find((l) => l.includes(' /data ')) ?? '', / ro,/);
    assert.match(r.stdout, /Read-only file system/);
    assert.match(r.stdout, /hello from the host/);
  });

  it('gives the process exactly the requested capability sets', () => {
    const r = run(['sh', '-c', 'grep -E "^Cap(Eff|Prm|Bnd|Amb)" /proc/self/status'], (spec) => {
      const caps = ['CAP_CHOWN', 'CAP_NET_RAW', 'CAP_SYS_ADMIN'];
      spec.process.capabilities = {
        bounding: caps,
        effective: caps,
        permitted: caps,
        inheritable: caps,
        ambient: ['CAP_CHOWN'],
      };
    });
    // CHOWN=0, NET_RAW=13, SYS_ADMIN=21 → 0x202001
    assert.match(r.stdout, /CapPrm:\t0000000000202001/);
    assert.match(r.stdout, /CapEff:\t0000000000202001/);
    assert.match(r.stdout, /CapBnd:\t0000000000202001/);
    assert.match(r.stdout, /CapAmb:\t0000000000000001/);
  });

  it('sets no_new_privs only when asked', () => {
    assert.match(run(['grep', 'NoNewPrivs', '/proc/self/status']).stdout, /NoNewPrivs:\t1/);
    const off = run(['grep', 'NoNewPrivs', '/proc/self/status'], (spec) => {
      spec.process.noNewPrivileges = false;
    });
    assert.match(off.stdout, /NoNewPrivs:\t0/);
  });

  it("installs the spec's seccomp filter (Docker's default profile)", () => {
    const r = run(['sh', '-c', 'grep ^Seccomp: /proc/self/status; unshare -U true 2>&1; echo $?']);
    assert.match(r.stdout, /^Seccomp:\t2\n/);
    assert.match(r.stdout, /Operation not permitted\n1\n$/);
  });

  it('applies rlimits', () => {
    const r = run(['sh', '-c', 'ulimit -n; ulimit -Hn'], (spec) => {
      spec.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }];
    });
    assert.equal(r.stdout, '321\n654\n');
  });

  it('makes the root read-only and masks files and directories', () => {
    const r = run(
      ['sh', '-c', 'touch /x 2>&1; wc -c < /etc/passwd; ls /bin | wc -l; touch /bin/y 2>&1'],
      (spec) => {
        spec.root.readonly = true;
        spec.linux.maskedPaths = ['/etc/passwd', '/bin/missing', '/dev/shm'];
        spec.linux.readonlyPaths = ['/dev/shm'];
      },
    );
    const lines = r.stdout.split('\n');
    assert.match(lines[0] ?? '', /Read-only file system/);
    assert.equal(lines[1]?.trim(), '0');
    assert.notEqual(lines[2]?.trim(), '0');
    assert.match(lines[3] ?? '', /Read-only file system/);
  });

  it('writes sysctls and sets oom_score_adj', () => {
    const r = run(['sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj'], (spec) => {
      spec.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
      spec.process.oomScoreAdj = 123;
      spec.linux.readonlyPaths = [];
    });
    assert.equal(r.stdout, '1\n123\n');
  });
});
