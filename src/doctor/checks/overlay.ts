import { type CheckContext, type CheckResult, commandFailure, fail, ok, toolEnv } from '../check.ts';

const MARKER = 'BERTH-OVERLAY-OK';

// Mounts an overlay, reads a lower file through it, writes one (copy-up to upper), unmounts.
// It runs in a private mount namespace, so even a killed doctor leaves no mount on the host.
const SCRIPT = `set -e
cd "$1"
mkdir lower upper work merged
echo lower >lower/file
mount -t overlay overlay -o "lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work" merged
test "$(cat merged/file)" = lower
echo upper >merged/new
test -f upper/new
umount merged
echo ${MARKER}`;

/** ok when the overlay mount, read through and copy-up all worked. */
export function overlayVerdict(options: {
  result: Awaited<ReturnType<CheckContext['host']['run']>>;
  dir: string;
}) {
  const base = { id: 'overlayfs', title: 'overlayfs', required: true };
  if (options.result.code === 0 && options.result.stdout.includes(MARKER)) {
    return ok({ ...base, detail: `mounted, copied up and unmounted (under ${options.dir})` });
  }
  const hint = 'the kernel needs CONFIG_OVERLAY_FS (modprobe overlay)';
  return fail({ ...base, detail: commandFailure('overlay mount', options.result), hint });
}

/** Mounts a real overlayfs in a temp dir on the state dir's filesystem, then removes it. */
export async function checkOverlay(ctx: CheckContext): Promise<CheckResult> {
  // Snapshots live under the state dir, so test overlay on that filesystem when it exists.
  const parent = (await ctx.host.exists(ctx.stateDir)) ? ctx.stateDir : ctx.tmpDir;
  const dir = await ctx.host.makeTempDir(parent, '.doctor-overlay-');
  try {
    const result = await ctx.host.run(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', SCRIPT, 'sh', dir],
      { timeoutMs: 10_000, env: toolEnv(ctx) },
    );
    return overlayVerdict({ result, dir: parent });
  } finally {
    await ctx.host.removeTree(dir);
  }
}
