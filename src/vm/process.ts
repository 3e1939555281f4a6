import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Kill the process (SIGKILL) after this long; the result then has `timedOut`. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Note when stdout first contains this text (e.g. a guest's boot marker). */
  watchFor?: string;
}

export interface RunResult {
  /** Exit code, or null when killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the process could not be started at all (e.g. `ENOENT`). */
  spawnError?: string;
  durationMs: number;
  /** Milliseconds from spawn until stdout contained `watchFor`, if it did. */
  watchedAtMs?: number;
}

/** Runs a program to completion; the seam through which doctor and the VM probe reach the host. */
export type ProcessRunner = (command: string, args: string[], options?: RunOptions) => Promise<RunResult>;

const OUTPUT_LIMIT = 1 << 20;

/** The real ProcessRunner: spawns without a shell, kills on timeout and always waits for exit. */
export const runProcess: ProcessRunner = (command, args, options = {}) =>
  new Promise((resolve) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '', timedOut: false } as Pick<
      RunResult,
      'stdout' | 'stderr' | 'timedOut' | 'watchedAtMs' | 'spawnError'
    >;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out.stdout = (out.stdout + chunk).slice(-OUTPUT_LIMIT);
      if (options.watchFor && out.watchedAtMs === undefined && out.stdout.includes(options.watchFor)) {
        out.watchedAtMs = elapsed();
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      out.stderr = (out.stderr + chunk).slice(-OUTPUT_LIMIT);
    });
    child.stdin?.on('error', () => {}).end(options.input);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            out.timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      out.spawnError = err.code ?? err.message;
    });
    // 'close' follows 'error' too, and comes only after the process is reaped and its pipes closed.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ...out, code: out.spawnError ? null : code, signal, durationMs: elapsed() });
    });
  });
