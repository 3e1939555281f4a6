export type {
  AcceleratorEvidence,
  AcceleratorProbeOptions,
  AcceleratorVerdict,
  BootProbe,
} from './accelerator.ts';
/** Boots the guest kernel under KVM and TCG and says which one VMs will use. */
export { decideAccelerator, KVM_UNUSABLE_SUMMARY, probeAccelerator, readBootProbe } from './accelerator.ts';
export type { CpuInfo } from './cpu.ts';
/** Parses /proc/cpuinfo: flags, MHz, hardware virtualization. */
export { parseCpuInfo } from './cpu.ts';
export type { CpioEntry } from './guest/cpio.ts';
/** Encodes an initramfs (cpio "newc"). */
export { encodeCpio } from './guest/cpio.ts';
export type { GuestKernel, GuestKernelLookup } from './guest/kernel.ts';
/** Finds the guest kernel under a state dir; reads a bzImage's version. */
export { findGuestKernel, parseBzImageVersion } from './guest/kernel.ts';
/** The busybox initramfs the probe boots. */
export { buildProbeInitramfs } from './guest/probe-initramfs.ts';
export type { ProcessRunner, RunOptions, RunResult } from './process.ts';
/** Spawns a program, kills it on timeout, and always waits for it to exit. */
export { runProcess } from './process.ts';
export type { QemuDiscovery } from './qemu/discover.ts';
/** Finds QEMU (or any program) on PATH. */
export { findExecutable, findQemu, QEMU_BINARY } from './qemu/discover.ts';
export type { Accel, ProbeBootArgsOptions } from './qemu/probe-args.ts';
/** QEMU argv for a probe boot. */
export { probeBootArgs } from './qemu/probe-args.ts';
export type { QemuVersion } from './qemu/version.ts';
/** Parses `qemu-system-x86_64 --version`. */
export { parseQemuVersion, qemuAtLeast } from './qemu/version.ts';
