import type { Command } from '../command.ts';

/** `berth runtime …`: the runc-compatible runtime CLI (same as `berth-runtime`). */
export const runtimeCommand: Command = {
  name: 'runtime',
  summary: 'OCI runtime with the runc command line (create, start, state, kill, delete, run, exec, …)',
  usage: 'runtime [global options] <verb> [options] <container-id>',
  description:
    "Runs berth-runtime's verbs with runc's flags, e.g. 'berth runtime --root /run/x run --bundle ./b id'.\n" +
    "Run 'berth runtime help' for the verbs.",
  passthrough: true,
  async run(ctx) {
    const { runtimeMain } = await import('../../runtime/cli/index.ts');
    const exitCode = await runtimeMain(ctx.positionals);
    return { data: null, render: () => '', exitCode };
  },
};
