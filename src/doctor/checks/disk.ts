import { dirname } from 'node:path';
import { type CheckContext, type CheckResult, fail, ok, warn } from '../check.ts';

const GiB = 1024 ** 3;
/** Images, snapshots and VM disks need room; below this Berth will soon run out. */
export const LOW_SPACE_BYTES = 5 * GiB;

const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

export function diskVerdict(options: {
  stateDir: string;
  measuredAt: string;
  availableBytes: number;
  totalBytes: number;
}): CheckResult {
  const { stateDir, measuredAt, availableBytes, totalBytes } = options;
  const where = measuredAt === stateDir ? stateDir : `${stateDir} (measured at ${measuredAt}, which exists)`;
  const detail = `${gib(availableBytes)} free of ${gib(totalBytes)} under ${where}`;
  const base = { id: 'disk', title: 'free disk', required: false, facts: { ...options } };
  if (availableBytes < LOW_SPACE_BYTES) {
    const hint = `free space on that filesystem or set BERTH_STATE_DIR to a larger one (want ≥ ${gib(LOW_SPACE_BYTES)})`;
    return warn({ ...base, detail, hint });
  }
  return ok({ ...base, detail });
}

/** Free space on the filesystem that holds (or will hold) the state dir. */
export async function checkDisk(ctx: CheckContext): Promise<CheckResult> {
  let at = ctx.stateDir;
  while (!(await ctx.host.exists(at)) && dirname(at) !== at) at = dirname(at);
  try {
    const space = await ctx.host.space(at);
    return diskVerdict({ stateDir: ctx.stateDir, measuredAt: at, ...space });
  } catch (err) {
    const detail = `cannot measure free space at ${at}: ${(err as Error).message}`;
    return fail({ id: 'disk', title: 'free disk', required: false, detail });
  }
}
