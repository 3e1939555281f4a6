import { NAMESPACES } from '../../plan/index.ts';
import { CAPABILITIES } from '../../spec/index.ts';
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
        // systemd: --systemd-cgroup paths are laid out as systemd would, without asking systemd.
        cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
        seccomp: {
          enabled: true,
          actions: [
            'SCMP_ACT_ALLOW',
            'SCMP_ACT_ERRNO',
            'SCMP_ACT_KILL',
            'SCMP_ACT_KILL_PROCESS',
            'SCMP_ACT_KILL_THREAD',
            'SCMP_ACT_LOG',
            'SCMP_ACT_TRACE',
            'SCMP_ACT_TRAP',
          ],
          operators: [
            'SCMP_CMP_EQ',
            'SCMP_CMP_GE',
            'SCMP_CMP_GT',
            'SCMP_CMP_LE',
            'SCMP_CMP_LT',
            'SCMP_CMP_MASKED_EQ',
            'SCMP_CMP_NE',
          ],
          archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        },
        apparmor: { enabled: false },
        selinux: { enabled: false },
      },
      annotations: { 'io.github.berth.runtime': 'berth-runtime' },
    };
    ctx.stdout(`${JSON.stringify(features, null, 2)}\n`);
    return 0;
  },
};
