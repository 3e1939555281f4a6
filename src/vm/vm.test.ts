import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideAccelerator,
  encodeCpio,
  KVM_UNUSABLE_SUMMARY,
  parseBzImageVersion,
  parseCpuInfo,
  parseQemuVersion,
  probeBootArgs,
  qemuAtLeast,
  type RunResult,
  readBootProbe,
} from './index.ts';

const PVM_CPUINFO = `processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor
cpu MHz\t\t: 2000.000
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep hypervisor lahf_lm

processor\t: 1
cpu MHz\t\t: 1.000
flags\t\t: fpu vmx
`;

describe('parseCpuInfo', () => {
  it('reads the first CPU: flags, MHz, no VMX/SVM under a paravirtual hypervisor', () => {
    const cpu = parseCpuInfo(PVM_CPUINFO);
    assert.equal(cpu.mhz, 2000);
    assert.equal(cpu.hardwareVirtualization, false);
    assert.equal(cpu.underHypervisor, true);
    assert.ok(cpu.flags.has('tsc'));
  });

  it('sees vmx or svm as hardware virtualization and tolerates a missing MHz', () => {
    assert.equal(parseCpuInfo('flags\t: fpu svm\n').hardwareVirtualization, true);
    assert.equal(parseCpuInfo('flags\t: fpu svm\n').mhz, undefined);
  });
});

describe('parseQemuVersion', () => {
  it('parses the Debian build line', () => {
    const v = parseQemuVersion(
      'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard\n',
    );
    assert.deepEqual(v, {
      major: 7,
      minor: 2,
      micro: 22,
      text: '7.2.22',
      package: 'Debian 1:7.2+dfsg-7+deb12u18+b3',
    });
  });

  it('parses a two-part version without a package and rejects other output', () => {
    assert.equal(parseQemuVersion('QEMU emulator version 8.1')?.text, '8.1.0');
    assert.equal(parseQemuVersion('QEMU emulator version 8.1')?.package, undefined);
    assert.equal(parseQemuVersion('bash: qemu: command not found'), undefined);
  });

  it('compares versions', () => {
    const v = parseQemuVersion('QEMU emulator version 7.2.0')!;
    assert.equal(qemuAtLeast(v, 7, 0), true);
    assert.equal(qemuAtLeast(v, 7, 2), true);
    assert.equal(qemuAtLeast(v, 8, 0), false);
  });
});

describe('parseBzImageVersion', () => {
  it('follows the setup header pointer to the version string', () => {
    const header = Buffer.alloc(0x1000);
    header.write('HdrS', 0x202, 'latin1');
    header.writeUInt16LE(0x300, 0x20e);
    header.write('6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP\0', 0x500, 'latin1');
    assert.deepEqual(parseBzImageVersion(header), {
      release: '6.1.0-56-cloud-amd64',
      versionString: '6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP',
    });
  });

  it('rejects files that are not bzImages', () => {
    assert.equal(parseBzImageVersion(Buffer.alloc(0x1000)), undefined);
    assert.equal(parseBzImageVersion(Buffer.from('#!/bin/sh\n')), undefined);
  });
});

describe('encodeCpio', () => {
  it('writes newc headers, 4-byte alignment and the trailer', () => {
    const archive = encodeCpio([
      { kind: 'chardev', path: '/dev/console', major: 5, minor: 1 },
      { kind: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
    ]);
    assert.equal(archive.length % 4, 0);
    const text = archive.toString('latin1');
    assert.equal(text.slice(0, 6), '070701');
    const field = (offset: number, n: number) =>
      Number.parseInt(text.slice(offset + 6 + n * 8, offset + 14 + n * 8), 16);
    assert.equal(field(0, 1), 0o020600); // char device, 0600
    assert.equal(field(0, 9), 5); // rdev major
    assert.equal(field(0, 10), 1); // rdev minor
    assert.equal(text.slice(110, 110 + 11), 'dev/console');
    const init = text.indexOf('070701', 110);
    assert.equal(field(init, 1), 0o100755);
    assert.equal(field(init, 6), 10); // file size
    assert.ok(text.includes('init\0'));
    assert.ok(text.includes('TRAILER!!!\0'));
  });
});

const run = (over: Partial<RunResult>): RunResult => ({
  code: 0,
  signal: null,
  stdout: '',
  stderr: '',
  timedOut: false,
  durationMs: 1,
  ...over,
});

describe('readBootProbe', () => {
  it('counts a boot only when the marker appeared', () => {
    assert.deepEqual(readBootProbe('tcg', run({ watchedAtMs: 2100 }), 8000), {
      accel: 'tcg',
      booted: true,
      bootMs: 2100,
    });
    const hung = readBootProbe(
      'kvm',
      run({ code: null, timedOut: true, stdout: 'Probing EDD... ok\n' }),
      8000,
    );
    assert.equal(hung.booted, false);
    assert.equal(hung.reason, 'no userspace within 8 s; last console line: Probing EDD... ok');
  });

  it('names a QEMU error and a missing QEMU', () => {
    const failed = readBootProbe(
      'kvm',
      run({ code: 1, stderr: 'qemu: failed to initialize kvm: No such file\n' }),
      8000,
    );
    assert.equal(failed.reason, 'qemu exited before userspace: qemu: failed to initialize kvm: No such file');
    assert.match(readBootProbe('tcg', run({ code: null, spawnError: 'ENOENT' }), 1).reason ?? '', /ENOENT/);
  });
});

describe('decideAccelerator', () => {
  const cpu = parseCpuInfo(PVM_CPUINFO);
  const tcgBooted = { accel: 'tcg', booted: true, bootMs: 2500 } as const;
  const kvmHung = { accel: 'kvm', booted: false, reason: 'no userspace within 8 s' } as const;

  it('falls back to TCG with the exact notice when /dev/kvm exists but cannot boot a guest', () => {
    const v = decideAccelerator({ kvmPresent: true, cpu, kvm: kvmHung, tcg: tcgBooted });
    assert.equal(v.accelerator, 'tcg');
    assert.equal(v.summary, KVM_UNUSABLE_SUMMARY);
    assert.equal(v.summary, 'KVM present but unusable for stock guests: VMs will use TCG software emulation');
    assert.equal(v.kvm.paravirtual, true);
  });

  it('uses KVM only when its probe booted', () => {
    const hw = parseCpuInfo('flags\t: vmx\n');
    const kvm = { accel: 'kvm', booted: true, bootMs: 400 } as const;
    const v = decideAccelerator({ kvmPresent: true, cpu: hw, kvm, tcg: tcgBooted });
    assert.equal(v.accelerator, 'kvm');
    assert.equal(v.kvm.paravirtual, false);
    assert.match(v.summary, /400 ms/);
  });

  it('says when there is no /dev/kvm, and when nothing boots', () => {
    assert.match(
      decideAccelerator({ kvmPresent: false, cpu, kvm: undefined, tcg: tcgBooted }).summary,
      /^no \/dev\/kvm/,
    );
    const tcgFailed = { accel: 'tcg', booted: false, reason: 'qemu exited' } as const;
    const none = decideAccelerator({ kvmPresent: true, cpu, kvm: kvmHung, tcg: tcgFailed });
    assert.equal(none.accelerator, 'none');
    assert.match(none.summary, /no accelerator boots a guest/);
  });
});

describe('probeBootArgs', () => {
  it('uses microvm with tsc_early_khz when the TSC rate is known, q35 otherwise', () => {
    const args = probeBootArgs({ accel: 'tcg', kernel: '/k', initrd: '/i', tscKhz: 2_000_000 });
    assert.equal(args[args.indexOf('-M') + 1], 'microvm');
    assert.match(args[args.indexOf('-append') + 1] ?? '', /tsc_early_khz=2000000/);
    assert.ok(args.includes('-no-reboot'));
    assert.ok(!args.includes('-nodefaults'));
    const q35 = probeBootArgs({ accel: 'kvm', kernel: '/k', initrd: '/i' });
    assert.equal(q35[q35.indexOf('-M') + 1], 'q35');
    assert.equal(q35[q35.indexOf('-accel') + 1], 'kvm');
  });
});
