import { isErrno } from '../../core/index.ts';
import type { RunResult } from '../../vm/index.ts';
import { type CheckContext, type CheckResult, commandFailure, fail, ok, toolEnv, warn } from '../check.ts';

export interface NamespaceType {
  type: string;
  /** Its file under /proc/<pid>/ns. */
  file: string;
  /** unshare(1) flag that creates it. */
  flag: string;
  /** Containers cannot run without it. */
  required: boolean;
}

export const NAMESPACE_TYPES: NamespaceType[] = [
  { type: 'pid', file: 'pid', flag: '--pid', required: true },
  { type: 'mount', file: 'mnt', flag: '--mount', required: true },
  { type: 'uts', file: 'uts', flag: '--uts', required: true },
  { type: 'ipc', file: 'ipc', flag: '--ipc', required: true },
  { type: 'net', file: 'net', flag: '--net', required: true },
  { type: 'user', file: 'user', flag: '--user', required: false },
  { type: 'cgroup', file: 'cgroup', flag: '--cgroup', required: false },
  { type: 'time', file: 'time', flag: '--time', required: false },
];

export interface NamespaceEvidence {
  ns: NamespaceType;
  /** The host's namespace link (e.g. `pid:[4026531836]`); undefined when the kernel has no such type. */
  hostLink: string | undefined;
  /** `unshare <flag> --fork readlink /proc/self/ns/<file>` (for user: also `id -u` inside). */
  result: RunResult;
  /** /proc/sys/user/max_user_namespaces, for the user namespace. */
  maxUserNamespaces?: number;
}

/** ok only if a process really ran in a namespace different from the host's. */
export function namespaceVerdict(evidence: NamespaceEvidence): CheckResult {
  const { ns, hostLink, result } = evidence;
  const base = { id: `namespace.${ns.type}`, title: `${ns.type} namespace`, required: ns.required };
  const hint = `the kernel must be built with CONFIG_${ns.type === 'mount' ? 'NAMESPACES' : `${ns.type.toUpperCase()}_NS`}`;
  if (hostLink === undefined) {
    const detail = `not supported by this kernel (no /proc/self/ns/${ns.file})`;
    return ns.required ? fail({ ...base, detail, hint }) : warn({ ...base, detail, hint });
  }
  if (result.code !== 0) return fail({ ...base, detail: commandFailure('unshare', result), hint });
  const [link = '', uid] = result.stdout.trim().split('\n');
  if (!link.startsWith(`${ns.file}:[`) || link === hostLink) {
    return fail({ ...base, detail: `unshare ${ns.flag} ran but the process stayed in ${hostLink}`, hint });
  }
  const evidenceText = `host ${hostLink}, new ${link}`;
  if (ns.type !== 'user') return ok({ ...base, detail: 'created', evidence: evidenceText });
  return userNamespaceVerdict({ base, uid, max: evidence.maxUserNamespaces, evidence: evidenceText });
}

function userNamespaceVerdict(options: {
  base: Pick<CheckResult, 'id' | 'title' | 'required'>;
  uid: string | undefined;
  max: number | undefined;
  evidence: string;
}): CheckResult {
  const { base, uid, max, evidence } = options;
  const facts = { maxUserNamespaces: max };
  if (uid?.trim() !== '0') {
    return fail({ ...base, detail: `created, but mapping root failed (uid ${uid ?? '?'})`, evidence, facts });
  }
  const limit = max === undefined ? 'max_user_namespaces unknown' : `max_user_namespaces=${max}`;
  if (max === 0) {
    const hint = 'sysctl -w user.max_user_namespaces=15000';
    return fail({ ...base, detail: `created as root, but ${limit}: others cannot`, hint, evidence, facts });
  }
  return ok({ ...base, detail: `created, root mapped; ${limit}`, evidence, facts });
}

async function hostLinkOf(ctx: CheckContext, ns: NamespaceType): Promise<string | undefined> {
  try {
    return await ctx.host.readlink(`/proc/self/ns/${ns.file}`);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

async function checkNamespace(ctx: CheckContext, ns: NamespaceType): Promise<CheckResult> {
  const hostLink = await hostLinkOf(ctx, ns);
  const inside =
    ns.type === 'user'
      ? ['--map-root-user', '--fork', 'sh', '-c', 'readlink /proc/self/ns/user && id -u']
      : ['--fork', 'readlink', `/proc/self/ns/${ns.file}`];
  const result = await ctx.host.run('unshare', [ns.flag, ...inside], {
    timeoutMs: 10_000,
    env: toolEnv(ctx),
  });
  const evidence: NamespaceEvidence = { ns, hostLink, result };
  if (ns.type === 'user') {
    const max = await ctx.host.readFile('/proc/sys/user/max_user_namespaces').catch(() => undefined);
    if (max !== undefined) evidence.maxUserNamespaces = Number(max.trim());
  }
  return namespaceVerdict(evidence);
}

/** Creates each namespace type for real with unshare(1), one verdict per type. */
export function checkNamespaces(ctx: CheckContext): Promise<CheckResult>[] {
  return NAMESPACE_TYPES.map((ns) => checkNamespace(ctx, ns));
}
