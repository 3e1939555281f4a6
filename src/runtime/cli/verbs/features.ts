import { CAPABILITIES, NAMESPACES } from '../../plan/index.ts';
import type { Verb } from '../verb.ts';

const MOUNT_OPTIONS = [
  'async',
  'atime',
  'bind',
  'defaults',
  'dev',
  'diratime',
  'dirsync',
  'exec',
  'mand',
  'noatime',
  'nodev',
  'nodiratime',
  'noexec',
  'nomand',
  'norelatime',
  'nostrictatime',
  'nosuid',
  'nosymfollow',
  'private',
  'rbind',
  'relatime',
  'remount',
  'ro',
  'rprivate',
  'rshared',
  'rslave',
  'runbindable',
  'rw',
  'shared',
  'slave',
  'strictatime',
  'suid',
  'symfollow',
  'sync',
  'unbindable',
];

export const verb: Verb = {
  usage: 'features',
  summary: 'Print the features this runtime supports (runtime-spec features document).',
  async run(ctx) {
    const features = {
      ociVersionMin: '1.0.0',
      ociVersionMax: '1.2.0',
      hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
      mountOptions: MOUNT_OPTIONS,
      linux: {
        namespaces: Object.keys(NAMESPACES),
        capabilities: Object.keys(CAPABILITIES),
        cgroup: { v1: false, v2: false, systemd: false, systemdUser: false },
        seccomp: { enabled: false },
        apparmor: { enabled: false },
        selinux: { enabled: false },
      },
      annotations: { 'io.github.berth.runtime': 'berth-runtime' },
    };
    ctx.stdout(`${JSON.stringify(features, null, 2)}\n`);
    return 0;
  },
};
