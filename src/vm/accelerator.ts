import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../core/index.ts';
import { type CpuInfo, parseCpuInfo } from './cpu.ts';
import { buildProbeInitramfs } from './guest/probe-initramfs.ts';
import { type ProcessRunner, type RunResult, runProcess } from './process.ts';
import { type Accel, probeBootArgs } from './qemu/probe-args.ts';

/** The outcome of one short probe boot of the guest kernel with a busybox initramfs. */
export interface BootProbe {
  accel: Accel;
  /** The guest printed the marker from its /init: it reached userspace. */
  booted: boolean;
  /** Milliseconds from starting QEMU until the marker appeared. */
  bootMs?: number;
  /** Why it did not boot, in a few words. */
  reason?: string;
}

/** Which accelerator VMs will use on this host, and the evidence for it. */
export interface AcceleratorVerdict {
  accelerator: Accel | 'none';
  kvm: {
    /** The /dev/kvm device node exists. */
    present: boolean;
    /** A stock guest kernel booted to userspace under KVM within the time limit. */
    usable: boolean;
    /** /proc/cpuinfo shows no VMX/SVM: /dev/kvm can only be a paravirtual KVM (e.g. KVM-PVM). */
    paravirtual: boolean;
    probe?: BootProbe;
  };
  tcg: BootProbe;
  /** One sentence for the user. */
  summary: string;
}

export interface AcceleratorProbeOptions {
  /** Path of qemu-system-x86_64. */
  qemu: string;
  /** Path of the guest kernel (bzImage). */
  kernel: string;
  /** A statically linked busybox for the probe's initramfs; defaults to /bin/busybox. */
  busybox?: string;
  kvmDevice?: string;
  /** Defaults to /proc/cpuinfo. */
  cpuinfo?: CpuInfo;
  /** Limit for the KVM boot; a working KVM reaches userspace in well under a second. */
  kvmTimeoutMs?: number;
  /** Limit for the TCG boot (about 2–3 s here, more while other work shares the CPUs). */
  tcgTimeoutMs?: number;
  run?: ProcessRunner;
  /** Where the probe's initramfs is written (in a fresh temp dir, removed afterwards). */
  tmpDir?: string;
}

export const KVM_UNUSABLE_SUMMARY =
  'KVM present but unusable for stock guests: VMs will use TCG software emulation';

const DEFAULT_KVM_TIMEOUT_MS = 8_000;
const DEFAULT_TCG_TIMEOUT_MS = 30_000;

/**
 * Decides between KVM and TCG by booting the guest kernel for real under each (concurrently),
 * not by the presence of /dev/kvm. Leaves no process or file behind.
 */
export async function probeAccelerator(options: AcceleratorProbeOptions): Promise<AcceleratorVerdict> {
  const kvmPresent = await isCharDevice(options.kvmDevice ?? '/dev/kvm');
  const cpu = options.cpuinfo ?? parseCpuInfo(await readFile('/proc/cpuinfo', 'utf8'));
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'berth-probe-'));
  try {
    const marker = `BERTH-PROBE-${randomBytes(6).toString('hex')}`;
    const initrd = join(dir, 'initramfs.cpio');
    const busybox = await readBusybox(options.busybox ?? '/bin/busybox');
    await writeFile(initrd, buildProbeInitramfs({ busybox, marker }));
    const boot = (accel: Accel, timeoutMs: number) =>
      probeBoot({ ...options, accel, initrd, marker, timeoutMs, tscKhz: cpu.mhz && cpu.mhz * 1000 });
    const [kvm, tcg] = await Promise.all([
      kvmPresent ? boot('kvm', options.kvmTimeoutMs ?? DEFAULT_KVM_TIMEOUT_MS) : undefined,
      boot('tcg', options.tcgTimeoutMs ?? DEFAULT_TCG_TIMEOUT_MS),
    ]);
    return decideAccelerator({ kvmPresent, cpu, kvm, tcg });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface ProbeBootOptions extends AcceleratorProbeOptions {
  accel: Accel;
  initrd: string;
  marker: string;
  timeoutMs: number;
  tscKhz: number | undefined;
}

async function probeBoot(options: ProbeBootOptions): Promise<BootProbe> {
  const run = options.run ?? runProcess;
  const args = probeBootArgs({
    accel: options.accel,
    kernel: options.kernel,
    initrd: options.initrd,
    tscKhz: options.tscKhz || undefined,
  });
  // setpriv sets a parent-death signal before exec: if Berth dies mid-probe, QEMU dies with it.
  const result = await run('setpriv', ['--pdeathsig', 'KILL', options.qemu, ...args], {
    timeoutMs: options.timeoutMs,
    watchFor: options.marker,
  });
  return readBootProbe(options.accel, result, options.timeoutMs);
}

/** Turns a finished probe run into a BootProbe: booted iff the marker appeared on the console. */
export function readBootProbe(accel: Accel, result: RunResult, timeoutMs: number): BootProbe {
  if (result.watchedAtMs !== undefined) return { accel, booted: true, bootMs: result.watchedAtMs };
  if (result.spawnError)
    return { accel, booted: false, reason: `could not start qemu: ${result.spawnError}` };
  if (result.timedOut) {
    const last = lastLine(result.stdout);
    const where = last ? `; last console line: ${last}` : '; no console output';
    return { accel, booted: false, reason: `no userspace within ${timeoutMs / 1000} s${where}` };
  }
  const error = lastLine(result.stderr) ?? lastLine(result.stdout) ?? `exit code ${result.code}`;
  return { accel, booted: false, reason: `qemu exited before userspace: ${error}` };
}

function lastLine(text: string): string | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1)?.slice(0, 200);
}

export interface AcceleratorEvidence {
  kvmPresent: boolean;
  cpu: CpuInfo;
  kvm: BootProbe | undefined;
  tcg: BootProbe;
}

/** The verdict from the probe boots: KVM only if it booted a guest, else TCG if that did. */
export function decideAccelerator(evidence: AcceleratorEvidence): AcceleratorVerdict {
  const { kvmPresent, cpu, kvm, tcg } = evidence;
  const kvmUsable = kvm?.booted === true;
  const verdict: AcceleratorVerdict = {
    accelerator: kvmUsable ? 'kvm' : tcg.booted ? 'tcg' : 'none',
    kvm: { present: kvmPresent, usable: kvmUsable, paravirtual: kvmPresent && !cpu.hardwareVirtualization },
    tcg,
    summary: '',
  };
  if (kvm) verdict.kvm.probe = kvm;
  verdict.summary = summarize(verdict);
  return verdict;
}

function summarize(verdict: AcceleratorVerdict): string {
  const { kvm, tcg } = verdict;
  if (kvm.usable) return `KVM boots a stock guest to userspace in ${kvm.probe?.bootMs} ms`;
  if (verdict.accelerator === 'tcg') {
    return kvm.present ? KVM_UNUSABLE_SUMMARY : 'no /dev/kvm: VMs will use TCG software emulation';
  }
  const kvmPart = kvm.present ? `KVM did not boot the guest (${kvm.probe?.reason})` : 'no /dev/kvm';
  return `no accelerator boots a guest: ${kvmPart}; TCG did not either (${tcg.reason})`;
}

async function readBusybox(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new BerthError({
      code: 'ERR_VM_PROBE_BUSYBOX',
      category: 'FailedPrecondition',
      message: `cannot read ${path} for the probe initramfs: ${(err as NodeJS.ErrnoException).code ?? err}`,
      hint: 'install a static busybox: apt-get install busybox-static',
      cause: err,
    });
  }
}

async function isCharDevice(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isCharacterDevice();
  } catch {
    return false;
  }
}
