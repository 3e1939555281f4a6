import { encodeCpio } from './cpio.ts';

/**
 * The smallest initramfs that proves a guest reached userspace: busybox as /bin/busybox and an
 * /init that prints `marker` on the console and powers the guest off.
 */
export function buildProbeInitramfs(options: { busybox: Buffer; marker: string }): Buffer {
  const init = [
    '#!/bin/busybox sh',
    `/bin/busybox echo ${options.marker}`,
    '/bin/busybox poweroff -f',
    '',
  ].join('\n');
  return encodeCpio([
    { kind: 'directory', path: 'bin' },
    { kind: 'directory', path: 'dev' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'bin/busybox', data: options.busybox, mode: 0o755 },
    { kind: 'file', path: 'init', data: Buffer.from(init), mode: 0o755 },
  ]);
}
