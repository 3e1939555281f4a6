/** Acceleration QEMU can use on x86-64. */
export type Accel = 'kvm' | 'tcg';

export interface ProbeBootArgsOptions {
  accel: Accel;
  kernel: string;
  initrd: string;
  /**
   * The host TSC rate in kHz. With it the probe uses `-M microvm` and passes `tsc_early_khz`,
   * since a TCG microvm guest otherwise often fails to calibrate its TSC and hangs (HOST-NOTES).
   * Without it the probe uses q35, which has the legacy timers to calibrate against.
   */
  tscKhz?: number;
  memoryMiB?: number;
}

/** QEMU argv for a short probe boot: the kernel and initramfs, console on stdout, exit on power-off. */
export function probeBootArgs(options: ProbeBootArgsOptions): string[] {
  const append = ['console=ttyS0', 'panic=-1'];
  if (options.tscKhz !== undefined) append.push(`tsc_early_khz=${Math.round(options.tscKhz)}`);
  return [
    ...['-M', options.tscKhz === undefined ? 'q35' : 'microvm'],
    ...['-accel', options.accel],
    ...['-m', String(options.memoryMiB ?? 256), '-smp', '1'],
    // Keep QEMU's default serial (no -nodefaults): microvm's console is that serial port.
    ...['-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot'],
    ...['-kernel', options.kernel, '-initrd', options.initrd, '-append', append.join(' ')],
  ];
}
