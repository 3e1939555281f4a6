// The config.json `berth-runtime spec` writes: runc's template hardened the way Docker runs
// containers (its capability set, seccomp profile, masked and read-only paths).

import { DEFAULT_CAPABILITIES } from './capabilities.ts';
import type { Mount, Namespace, Seccomp, Spec } from './types.ts';

export interface DefaultSpecOptions {
  /** A spec for an unprivileged user: user namespace mapping them to root, no cgroup limits. */
  rootless?: boolean;
  args?: string[];
  terminal?: boolean;
  /** The user and group root maps to in the rootless variant; the caller's by default. */
  hostUid?: number;
  hostGid?: number;
  /** linux.seccomp to include; the compiler and the profile live in runtime/seccomp. */
  seccomp?: Seccomp;
}

/** Paths Docker hides from containers (bind-mounted over with /dev/null or an empty tmpfs). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Paths Docker makes read-only in containers. */
export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function defaultMounts(rootless: boolean): Mount[] {
  const devptsOptions = ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'];
  // Without a network namespace of its own, a rootless container may not mount sysfs: bind it.
  const sys: Mount = rootless
    ? {
        destination: '/sys',
        type: 'none',
        source: '/sys',
        options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
      }
    : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] };
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    // gid 5 (tty) is not mapped in a rootless user namespace.
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: rootless ? devptsOptions : [...devptsOptions, 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    sys,
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ];
}

function defaultNamespaces(rootless: boolean): Namespace[] {
  const types = rootless
    ? (['pid', 'ipc', 'uts', 'mount', 'cgroup', 'user'] as const)
    : (['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'] as const);
  return types.map((type) => ({ type }));
}

/** A config.json template like `runc spec`'s, with Docker's defaults for a real workload. */
export function buildDefaultSpec(options: DefaultSpecOptions = {}): Spec {
  const rootless = options.rootless ?? false;
  const caps = [...DEFAULT_CAPABILITIES];
  const spec: Spec = {
    ociVersion: '1.2.0',
    process: {
      terminal: options.terminal ?? true,
      user: { uid: 0, gid: 0 },
      args: options.args ?? ['sh'],
      env: [PATH_ENV, 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'berth',
    mounts: defaultMounts(rootless),
    linux: {
      namespaces: defaultNamespaces(rootless),
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
  const linux = spec.linux!;
  if (options.seccomp) linux.seccomp = options.seccomp;
  if (rootless) {
    linux.uidMappings = [{ containerID: 0, hostID: options.hostUid ?? process.getuid?.() ?? 0, size: 1 }];
    linux.gidMappings = [{ containerID: 0, hostID: options.hostGid ?? process.getgid?.() ?? 0, size: 1 }];
  } else {
    linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
  }
  return spec;
}
