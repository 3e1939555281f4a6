/** What /proc/cpuinfo says about the CPU, as far as VMs care. */
export interface CpuInfo {
  /** Flags of the first CPU. */
  flags: Set<string>;
  /** Clock of the first CPU in MHz, if reported. */
  mhz: number | undefined;
  /** VMX (Intel) or SVM (AMD): hardware virtualization a stock KVM guest needs. */
  hardwareVirtualization: boolean;
  /** This host is itself a guest (the `hypervisor` flag). */
  underHypervisor: boolean;
}

/** Parses /proc/cpuinfo text; only the first processor block is read. */
export function parseCpuInfo(text: string): CpuInfo {
  const first = text.split(/\n\s*\n/, 1)[0] ?? '';
  const field = (name: string): string | undefined => {
    const line = first.split('\n').find((l) => l.split(':', 1)[0]?.trim() === name);
    return line?.slice(line.indexOf(':') + 1).trim();
  };
  const flags = new Set((field('flags') ?? '').split(/\s+/).filter(Boolean));
  const mhz = Number.parseFloat(field('cpu MHz') ?? '');
  return {
    flags,
    mhz: Number.isFinite(mhz) && mhz > 0 ? mhz : undefined,
    hardwareVirtualization: flags.has('vmx') || flags.has('svm'),
    underHypervisor: flags.has('hypervisor'),
  };
}
