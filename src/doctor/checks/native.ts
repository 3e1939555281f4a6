import { type CheckContext, type CheckResult, commandFailure, fail, firstLine, ok } from '../check.ts';

/** The C helper executes every container's launch plan, so containers need it: required. */
export async function checkNativeHelper(ctx: CheckContext): Promise<CheckResult> {
  const base = { id: 'native-helper', title: 'native helper', required: true };
  const result = await ctx.host.run(ctx.nativeHelper, ['--version'], { timeoutMs: 10_000 });
  if (result.code === 0) {
    const version = firstLine(result.stdout);
    return ok({
      ...base,
      detail: `${version} at ${ctx.nativeHelper}`,
      facts: { version, path: ctx.nativeHelper },
    });
  }
  const detail =
    result.spawnError === 'ENOENT'
      ? `not built: no ${ctx.nativeHelper}`
      : commandFailure(ctx.nativeHelper, result);
  return fail({ ...base, detail, hint: "build it with 'make -C native' (scripts/setup.sh does it)" });
}
