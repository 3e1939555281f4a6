import {
  type AcceleratorProbeOptions,
  type AcceleratorVerdict,
  findGuestKernel,
  findQemu,
  type GuestKernelLookup,
  probeAccelerator,
  type QemuDiscovery,
  qemuAtLeast,
} from '../../vm/index.ts';
import { type CheckContext, type CheckResult, fail, ok, warn } from '../check.ts';

// None of the VM checks is required: containers run without QEMU.
const OPTIONAL = { required: false };

export function qemuVerdict(qemu: QemuDiscovery): CheckResult {
  const base = { id: 'qemu', title: 'QEMU', ...OPTIONAL };
  if (!qemu.found) {
    return fail({ ...base, detail: qemu.reason, hint: 'VMs need QEMU: apt-get install qemu-system-x86' });
  }
  const pkg = qemu.version.package ? ` (${qemu.version.package})` : '';
  const detail = `${qemu.version.text}${pkg} at ${qemu.path}`;
  const facts = { path: qemu.path, version: qemu.version.text };
  if (!qemuAtLeast(qemu.version, 7, 0)) {
    return warn({ ...base, detail, facts, hint: 'Berth is tested with QEMU 7.2; upgrade QEMU' });
  }
  return ok({ ...base, detail, facts });
}

export function guestKernelVerdict(lookup: GuestKernelLookup, stateDir: string): CheckResult {
  const base = { id: 'guest-kernel', title: 'guest kernel', ...OPTIONAL };
  if (!lookup.found) {
    const hint = `run 'bash scripts/fetch-guest-kernel.sh ${stateDir}/guest' (scripts/setup.sh does it)`;
    return fail({ ...base, detail: lookup.reason, hint });
  }
  const { kernel } = lookup;
  return ok({ ...base, detail: `${kernel.release} at ${kernel.path}`, facts: { ...kernel } });
}

export function acceleratorVerdict(verdict: AcceleratorVerdict): CheckResult {
  const base = { id: 'accelerator', title: 'VM acceleration', ...OPTIONAL, facts: { ...verdict } };
  const { kvm, tcg } = verdict;
  const tcgPart = tcg.booted ? `TCG probe booted in ${tcg.bootMs} ms` : `TCG probe: ${tcg.reason}`;
  const kvmPart = !kvm.present
    ? 'no /dev/kvm'
    : kvm.usable
      ? `KVM probe booted in ${kvm.probe?.bootMs} ms`
      : `KVM probe: ${kvm.probe?.reason}${kvm.paravirtual ? ' (no vmx/svm in /proc/cpuinfo: paravirtual KVM)' : ''}`;
  const evidence = `${kvmPart}; ${tcgPart}`;
  if (verdict.accelerator === 'kvm') return ok({ ...base, detail: verdict.summary, evidence });
  if (verdict.accelerator === 'tcg') {
    const hint = 'VMs work but run slower; for KVM use a host with VMX/SVM (nested virtualization)';
    return warn({ ...base, detail: verdict.summary, evidence, hint });
  }
  return fail({
    ...base,
    detail: verdict.summary,
    evidence,
    hint: 'check the QEMU and guest kernel lines above',
  });
}

export interface VmCheckOptions extends CheckContext {
  /** Replaces the real probe boot (unit tests). */
  probe?: (options: AcceleratorProbeOptions) => Promise<AcceleratorVerdict>;
}

/** QEMU, the guest kernel, and a probe boot under KVM and TCG: three lines. */
export async function checkVm(ctx: VmCheckOptions): Promise<CheckResult[]> {
  const [qemu, kernel] = await Promise.all([
    findQemu({ pathEnv: ctx.pathEnv, run: ctx.host.run }),
    findGuestKernel(ctx.stateDir),
  ]);
  const results = [qemuVerdict(qemu), guestKernelVerdict(kernel, ctx.stateDir)];
  if (!qemu.found || !kernel.found) {
    const missing = [!qemu.found && 'QEMU', !kernel.found && 'guest kernel'].filter(Boolean).join(' and no ');
    const base = { id: 'accelerator', title: 'VM acceleration', ...OPTIONAL };
    return [...results, fail({ ...base, detail: `not probed: no ${missing}`, hint: 'fix the lines above' })];
  }
  const probe = ctx.probe ?? probeAccelerator;
  const verdict = await probe({
    qemu: qemu.path,
    kernel: kernel.kernel.path,
    run: ctx.host.run,
    tmpDir: ctx.tmpDir,
    kvmTimeoutMs: ctx.kvmTimeoutMs,
  });
  return [...results, acceleratorVerdict(verdict)];
}
