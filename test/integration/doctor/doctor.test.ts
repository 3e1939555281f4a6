// Runs the real `berth doctor --json` as root and checks its verdicts against what this test can
// read for itself, and that it leaves nothing behind (no QEMU, no mount, no temp dir).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));
// Set-up unpacks the guest kernel here; the test only links to it from its own state dir.
const GUEST_DIR = process.env.BERTH_GUEST_DIR ?? '/var/lib/berth/guest';

interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  required: boolean;
  facts?: Record<string, unknown>;
}
interface Report {
  ok: boolean;
  checks: Check[];
}

const scratch = mkdtempSync(join(tmpdir(), 'berth-doctor-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function doctor(env: NodeJS.ProcessEnv): { status: number | null; report: Report; stderr: string } {
  const r = spawnSync(BERTH, ['doctor', '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

const byId = (report: Report, id: string): Check => {
  const check = report.checks.find((c) => c.id === id);
  assert.ok(check, `no check ${id}`);
  return check;
};

// Processes whose command line mentions `text` (e.g. a QEMU started with an initrd under it).
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${pid} ${cmdline}`);
    } catch {
      // gone already
    }
  }
  return found;
}

describe('berth doctor on this host', () => {
  const stateDir = join(scratch, 'state');
  const tmp = join(scratch, 'tmp');
  let result: ReturnType<typeof doctor>;

  before(() => {
    assert.ok(
      existsSync(join(GUEST_DIR, 'vmlinuz')),
      `no guest kernel in ${GUEST_DIR}: run scripts/setup.sh`,
    );
    mkdirSync(stateDir);
    mkdirSync(tmp);
    symlinkSync(GUEST_DIR, join(stateDir, 'guest'));
    result = doctor({ BERTH_STATE_DIR: stateDir, TMPDIR: tmp });
  });

  it('exits 0 with every required check passing', () => {
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.report.ok, true);
    const failedRequired = result.report.checks.filter((c) => c.required && c.status === 'fail');
    assert.deepEqual(failedRequired, []);
  });

  it('reports the cgroup mode and controllers that mountinfo and cgroup.controllers show', () => {
    const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
    const fsType = (l: string) => l.split(' - ')[1]?.split(' ')[0];
    // A v1 hierarchy with a controller, not only a name (name=systemd) or flags.
    const superOptions = (l: string) => (l.split(' - ')[1]?.split(' ')[2] ?? '').split(',');
    const isController = (o: string) => !['rw', 'ro', ''].includes(o) && !o.includes('=');
    const hasV1 = lines.some((l) => fsType(l) === 'cgroup' && superOptions(l).some(isController));
    const v2Line = lines.find((l) => fsType(l) === 'cgroup2');
    const expected = hasV1 ? (v2Line ? 'hybrid' : 'v1') : 'v2';
    const cgroups = byId(result.report, 'cgroups');
    assert.equal(cgroups.status, 'ok');
    assert.equal(cgroups.facts?.mode, expected);
    if (v2Line) {
      const mountPoint = v2Line.split(' ')[4] ?? '';
      const controllers = readFileSync(join(mountPoint, 'cgroup.controllers'), 'utf8')
        .split(/\s+/)
        .filter(Boolean);
      assert.deepEqual(cgroups.facts?.v2Controllers, controllers);
    }
  });

  it('created every namespace type the kernel has', () => {
    for (const [type, file] of Object.entries({
      pid: 'pid',
      mount: 'mnt',
      uts: 'uts',
      ipc: 'ipc',
      net: 'net',
      user: 'user',
      cgroup: 'cgroup',
      time: 'time',
    })) {
      if (!existsSync(`/proc/self/ns/${file}`)) continue;
      assert.equal(byId(result.report, `namespace.${type}`).status, 'ok', type);
    }
  });

  it('mounted overlayfs, and made links and NAT rules in throwaway namespaces', () => {
    for (const id of ['overlayfs', 'seccomp', 'network.bridge', 'network.veth', 'network.tun', 'netfilter']) {
      assert.equal(byId(result.report, id).status, 'ok', id);
    }
  });

  it('names the QEMU and guest kernel that are installed', () => {
    const qemu = execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' });
    const version = /version (\d+\.\d+\.\d+)/.exec(qemu)?.[1];
    assert.equal(byId(result.report, 'qemu').facts?.version, version);
    const release = readFileSync(join(GUEST_DIR, 'version'), 'utf8').trim();
    assert.equal(byId(result.report, 'guest-kernel').facts?.release, release);
  });

  it('decides KVM by a probe boot: a paravirtual /dev/kvm falls back to TCG, which boots', () => {
    const accel = byId(result.report, 'accelerator');
    const verdict = accel.facts as {
      accelerator: string;
      tcg: { booted: boolean };
      kvm: { usable: boolean };
    };
    assert.equal(verdict.tcg.booted, true, 'the TCG probe must really boot the guest');
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    const hardwareVirt = /\b(vmx|svm)\b/.test(flags);
    if (existsSync('/dev/kvm') && !hardwareVirt) {
      assert.equal(accel.status, 'warn');
      assert.equal(
        accel.detail,
        'KVM present but unusable for stock guests: VMs will use TCG software emulation',
      );
      assert.equal(verdict.accelerator, 'tcg');
      assert.equal(verdict.kvm.usable, false);
    }
    if (!existsSync('/dev/kvm')) assert.equal(verdict.accelerator, 'tcg');
  });

  it('leaves no QEMU, mount or temp dir behind', () => {
    assert.deepEqual(processesMentioning(tmp), []);
    assert.deepEqual(processesMentioning('BERTH-PROBE'), []);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes('doctor-overlay'), 'an overlay mount from doctor is still there');
    assert.deepEqual(readdirSync(tmp), []);
    assert.deepEqual(readdirSync(stateDir), ['guest']);
  });
});

// A PATH holding only the tools doctor drives, without QEMU.
function pathWithout(excluded: string[], tools: string[]): string {
  const dir = mkdtempSync(join(scratch, 'bin-'));
  for (const tool of tools.filter((t) => !excluded.includes(t))) {
    const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(real, join(dir, tool));
  }
  return dir;
}

const TOOLS = ['sh', 'unshare', 'readlink', 'id', 'mount', 'umount', 'mkdir', 'cat', 'ip', 'nft', 'iptables'];

describe('berth doctor when things are missing', () => {
  it('fails QEMU, guest kernel and acceleration, never ok, and still exits 0 (they are optional)', () => {
    const empty = mkdtempSync(join(scratch, 'empty-state-'));
    const { status, report, stderr } = doctor({ PATH: pathWithout([], TOOLS), BERTH_STATE_DIR: empty });
    for (const id of ['qemu', 'guest-kernel', 'accelerator']) {
      const check = byId(report, id);
      assert.notEqual(check.status, 'ok', id);
      assert.equal(check.required, false, id);
    }
    assert.match(byId(report, 'qemu').detail, /not found/);
    assert.match(byId(report, 'guest-kernel').detail, /no guest kernel/);
    assert.equal(byId(report, 'namespace.pid').status, 'ok');
    assert.equal(status, 0, stderr);
    assert.equal(report.ok, true);
  });

  it('exits 1 when a required feature is missing (no unshare: namespaces and overlay cannot be made)', () => {
    const { status, report } = doctor({ PATH: pathWithout(['unshare'], TOOLS), BERTH_STATE_DIR: scratch });
    assert.equal(status, 1);
    assert.equal(report.ok, false);
    for (const id of ['namespace.pid', 'namespace.net', 'overlayfs']) {
      const check = byId(report, id);
      assert.equal(check.status, 'fail', id);
      assert.match(check.detail, /unshare not found|not found/, id);
    }
  });
});
