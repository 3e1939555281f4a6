import { spawn } from 'node:child_process';
import { BerthError } from '../../core/index.ts';
import type { Hook, State } from '../spec/index.ts';

/** Runs runtime-namespace hooks (prestart, createRuntime, poststart, poststop) in order, with the state on stdin. */
export async function runHooks(
  kind: string,
  hooks: readonly Hook[] | undefined,
  state: State,
): Promise<void> {
  for (const hook of hooks ?? []) await runHook(kind, hook, JSON.stringify(state));
}

function runHook(kind: string, hook: Hook, state: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const [argv0, ...args] = hook.args?.length ? hook.args : [hook.path];
    const child = spawn(hook.path, args, {
      argv0,
      env: Object.fromEntries(
        (hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
      ),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < 2000) output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.stdin.on('error', () => {});
    child.stdin.end(state);
    let timedOut = false;
    const timer = hook.timeout
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, hook.timeout * 1000)
      : undefined;
    const fail = (what: string) =>
      reject(
        new BerthError({
          code: 'ERR_RUNTIME_HOOK_FAILED',
          category: 'FailedPrecondition',
          message: `${kind} hook ${hook.path} ${what}${output.trim() ? `: ${output.trim()}` : ''}`,
          hint: 'fix or remove the hook in config.json',
        }),
      );
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(`could not start: ${err.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) fail(`timed out after ${hook.timeout}s`);
      else if (signal) fail(`was killed by ${signal}`);
      else if (code !== 0) fail(`exited with status ${code}`);
      else resolve();
    });
  });
}
