import type { Device } from '../spec/index.ts';
import { MS, S_IFBLK, S_IFCHR, S_IFIFO } from './linux.ts';
import { specError } from './mounts.ts';
import { Slot, type Step } from './ops.ts';

/** Device nodes every container gets (runc's default set). */
export const DEFAULT_DEVICES: Device[] = [
  { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o666 },
  { type: 'c', path: '/dev/zero', major: 1, minor: 5, fileMode: 0o666 },
  { type: 'c', path: '/dev/full', major: 1, minor: 7, fileMode: 0o666 },
  { type: 'c', path: '/dev/random', major: 1, minor: 8, fileMode: 0o666 },
  { type: 'c', path: '/dev/urandom', major: 1, minor: 9, fileMode: 0o666 },
  { type: 'c', path: '/dev/tty', major: 5, minor: 0, fileMode: 0o666 },
];

const DEV_SYMLINKS: [string, string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['pts/ptmx', '/dev/ptmx'],
];

function typeBits(device: Device, index: number): number {
  switch (device.type) {
    case 'c':
    case 'u':
      return S_IFCHR;
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      throw specError(`linux.devices[${index}].type: unknown device type '${String(device.type)}'`);
  }
}

/** Steps creating the default devices, linux.devices and the /dev symlinks. */
export function deviceSteps(devices: readonly Device[] = [], userns = false): Step[] {
  const given = new Set(devices.map((d) => d.path));
  const all = [...DEFAULT_DEVICES.filter((d) => !given.has(d.path)), ...devices];
  const steps = all.flatMap((device, i) => deviceNodeSteps(device, i, userns));
  for (const [target, link] of DEV_SYMLINKS) steps.push({ op: 'symlink', args: [Slot.rootfs, target, link] });
  return steps;
}

function deviceNodeSteps(device: Device, index: number, userns: boolean): Step[] {
  if (!device.path.startsWith('/dev/'))
    throw specError(`linux.devices[${index}].path: ${device.path} is not under /dev`);
  const mode = typeBits(device, index) | ((device.fileMode ?? 0o666) & 0o7777);
  // Inside a new user namespace mknod is refused: bind-mount the host's node instead.
  if (userns) {
    return [
      { op: 'mkfile', args: [Slot.rootfs, device.path] },
      { op: 'mount', args: [device.path, device.path, '', MS.bind, '', Slot.rootfs] },
    ];
  }
  return [
    {
      op: 'mknod',
      args: [
        Slot.rootfs,
        device.path,
        mode,
        device.major ?? 0,
        device.minor ?? 0,
        device.uid ?? 0,
        device.gid ?? 0,
      ],
    },
  ];
}
