import type { Command } from '../command.ts';

/** `berth runtime …`: the runc-compatible runtime CLI (same as `berth-runtime`). */
export const runtimeCommand: Command = {
  name: 'runtime',
  summary: 'OCI runtime with the runc command line (create, start, state, kill, delete, run, exec, …)',
  usage: 'runtime [--] [global options] <verb> [options] <container-id>',
  description:
    "Runs berth-runtime's verbs. Put '--' before runc-style flags so berth passes them on,\n" +
    "e.g. 'berth runtime -- --root /run/x run --bundle ./b id'.",
  async run(ctx) {
    const { runtimeMain } = await import('../../runtime/cli/index.ts');
    const args = ctx.debug ? ['--debug', ...ctx.positionals] : ctx.positionals;
    const exitCode = await runtimeMain(args);
    return { data: null, render: () => '', exitCode };
  },
};
