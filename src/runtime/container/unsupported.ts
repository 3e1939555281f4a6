import type { Process, Spec } from '../spec/index.ts';
import type { Warn } from './cgroup.ts';

/** Security labels Berth accepts but cannot apply (no AppArmor or SELinux support): one warning each. */
export function unsupportedSettings(spec: Pick<Spec, 'linux'> & { process?: Process }): string[] {
  const warnings: string[] = [];
  const process = spec.process;
  if (process?.apparmorProfile)
    warnings.push(`apparmorProfile '${process.apparmorProfile}' is not applied: AppArmor is not supported`);
  if (process?.selinuxLabel)
    warnings.push(`selinuxLabel '${process.selinuxLabel}' is not applied: SELinux is not supported`);
  if (spec.linux?.mountLabel)
    warnings.push(`mountLabel '${spec.linux.mountLabel}' is not applied: SELinux is not supported`);
  return warnings;
}

/** Sends each warning to `warn`, or to stderr when the caller gave no sink. */
export function reportUnsupported(warnings: readonly string[], warn?: Warn): void {
  for (const w of warnings) {
    if (warn) warn(w);
    else process.stderr.write(`berth-runtime: warning: ${w}\n`);
  }
}
