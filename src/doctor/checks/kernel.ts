import { type CheckContext, type CheckResult, fail, ok, warn } from '../check.ts';

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Parses a release such as `6.18.44-fc-v669` or `5.10.0-28-amd64`. */
export function parseKernelRelease(release: string): KernelVersion | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

const atLeast = (v: KernelVersion, major: number, minor: number) =>
  v.major > major || (v.major === major && v.minor >= minor);

/** 4.18 has everything the runtime relies on (cgroup ns, overlay redirect_dir); 5.6 adds time ns. */
export function kernelVerdict(release: string): CheckResult {
  const base = { id: 'kernel', title: 'kernel', required: true };
  const version = parseKernelRelease(release);
  if (!version) return fail({ ...base, detail: `cannot parse kernel release '${release}'` });
  const detail = `Linux ${version.major}.${version.minor}.${version.patch} (${release})`;
  const facts = { release, ...version };
  if (!atLeast(version, 4, 18)) {
    return fail({ ...base, detail, facts, hint: 'Berth needs Linux 4.18 or later; upgrade the kernel' });
  }
  if (!atLeast(version, 5, 6)) {
    return warn({
      ...base,
      detail,
      facts,
      hint: 'Linux 5.6 or later adds time namespaces; upgrade for those',
    });
  }
  return ok({ ...base, detail, facts });
}

export async function checkKernel(ctx: CheckContext): Promise<CheckResult> {
  return kernelVerdict(ctx.host.kernelRelease());
}
