import { isErrno } from '../../core/index.ts';
import { type CheckContext, type CheckResult, fail, ok } from '../check.ts';

/** Filter return actions the runtime's seccomp profiles use. */
const NEEDED_ACTIONS = ['allow', 'errno', 'kill_process', 'kill_thread', 'trap'];

export interface SeccompEvidence {
  /** /proc/sys/kernel/seccomp/actions_avail, undefined when absent (no CONFIG_SECCOMP_FILTER). */
  actionsAvail: string | undefined;
  /** The `Seccomp:` line of /proc/self/status, undefined when absent (no CONFIG_SECCOMP). */
  statusMode: string | undefined;
}

export function seccompVerdict(evidence: SeccompEvidence): CheckResult {
  const base = { id: 'seccomp', title: 'seccomp', required: true };
  const hint = 'the kernel needs CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER';
  if (evidence.statusMode === undefined) {
    return fail({ ...base, detail: 'not supported: no Seccomp field in /proc/self/status', hint });
  }
  if (evidence.actionsAvail === undefined) {
    return fail({
      ...base,
      detail: 'filter mode not supported: no /proc/sys/kernel/seccomp/actions_avail',
      hint,
    });
  }
  const actions = evidence.actionsAvail.split(/\s+/).filter(Boolean);
  const facts = { actions };
  const missing = NEEDED_ACTIONS.filter((a) => !actions.includes(a));
  if (missing.length > 0) {
    return fail({ ...base, detail: `filter mode lacks actions: ${missing.join(', ')}`, hint, facts });
  }
  return ok({ ...base, detail: `filter mode available; actions: ${actions.join(' ')}`, facts });
}

const readOptional = (ctx: CheckContext, path: string) =>
  ctx.host.readFile(path).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  });

export async function checkSeccomp(ctx: CheckContext): Promise<CheckResult> {
  const [actionsAvail, status] = await Promise.all([
    readOptional(ctx, '/proc/sys/kernel/seccomp/actions_avail'),
    ctx.host.readFile('/proc/self/status'),
  ]);
  const statusMode = /^Seccomp:\s*(\d+)/m.exec(status)?.[1];
  return seccompVerdict({ actionsAvail: actionsAvail?.trim(), statusMode });
}
