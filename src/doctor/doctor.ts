import { tmpdir } from 'node:os';
import type { AcceleratorProbeOptions, AcceleratorVerdict } from '../vm/index.ts';
import { type CheckContext, type CheckResult, fail, type Host } from './check.ts';
import { checkCgroups } from './checks/cgroups.ts';
import { checkDisk } from './checks/disk.ts';
import { checkKernel } from './checks/kernel.ts';
import { checkNamespaces, NAMESPACE_TYPES } from './checks/namespaces.ts';
import { checkNativeHelper } from './checks/native.ts';
import { checkLinks, checkNetfilter, LINK_KINDS } from './checks/network.ts';
import { checkOverlay } from './checks/overlay.ts';
import { checkSeccomp } from './checks/seccomp.ts';
import { checkVm } from './checks/vm.ts';
import { realHost } from './host.ts';

export interface DoctorOptions {
  stateDir: string;
  nativeHelper: string;
  /** Defaults to process.env.PATH. */
  pathEnv?: string;
  host?: Host;
  kvmTimeoutMs?: number;
  tmpDir?: string;
  /** Replaces the real accelerator probe (unit tests). */
  probe?: (options: AcceleratorProbeOptions) => Promise<AcceleratorVerdict>;
}

/** Everything doctor found, in a fixed order. */
export interface DoctorReport {
  /** False when a required check failed: Berth cannot run containers here. */
  ok: boolean;
  counts: Record<CheckResult['status'], number>;
  durationMs: number;
  checks: CheckResult[];
}

type Pending = Promise<CheckResult | CheckResult[]>;

/** Runs every check concurrently (the VM probe boot dominates) and collects them in order. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const started = performance.now();
  const ctx: CheckContext & { probe?: DoctorOptions['probe'] } = {
    host: options.host ?? realHost(),
    stateDir: options.stateDir,
    pathEnv: 'pathEnv' in options ? options.pathEnv : process.env.PATH,
    nativeHelper: options.nativeHelper,
    kvmTimeoutMs: options.kvmTimeoutMs,
    tmpDir: options.tmpDir ?? tmpdir(),
    probe: options.probe,
  };
  const pending: [string, Pending][] = [
    ['kernel', checkKernel(ctx)],
    ...checkNamespaces(ctx).map((p, i): [string, Pending] => [`namespace.${NAMESPACE_TYPES[i]?.type}`, p]),
    ['cgroups', checkCgroups(ctx)],
    ['overlayfs', checkOverlay(ctx)],
    ['seccomp', checkSeccomp(ctx)],
    ...checkLinks(ctx).map((p, i): [string, Pending] => [LINK_KINDS[i]?.id ?? 'network', p]),
    ['netfilter', checkNetfilter(ctx)],
    ['vm', checkVm(ctx)],
    ['disk', checkDisk(ctx)],
    ['native-helper', checkNativeHelper(ctx)],
  ];
  const settled = await Promise.allSettled(pending.map(([, p]) => p));
  const checks = settled.flatMap((s, i) =>
    s.status === 'fulfilled' ? s.value : crashed(pending[i]?.[0], s.reason),
  );
  return summarizeReport(checks, Math.round(performance.now() - started));
}

// A check that threw is reported as failed, never silently dropped. Required, so it gets seen.
function crashed(id: string | undefined, reason: unknown): CheckResult {
  const message = reason instanceof Error ? reason.message : String(reason);
  return fail({
    id: id ?? 'unknown',
    title: id ?? 'unknown',
    required: true,
    detail: `check could not run: ${message}`,
    hint: "run 'berth doctor --debug' and report this",
  });
}

/** Counts and the overall verdict: ok unless a required check failed. */
export function summarizeReport(checks: CheckResult[], durationMs: number): DoctorReport {
  const counts = { ok: 0, warn: 0, fail: 0 };
  for (const check of checks) counts[check.status]++;
  const ok = !checks.some((c) => c.required && c.status === 'fail');
  return { ok, counts, durationMs, checks };
}
