import type { ProcessRunner } from '../vm/index.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of `berth doctor`: what was checked, the verdict, and what to do about it. */
export interface CheckResult {
  /** Stable id scripts can match on, e.g. `namespace.pid`. */
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do, for warn and fail. */
  hint?: string;
  /** The evidence behind a verdict that is not obvious from `detail`. */
  evidence?: string;
  /** A failure of a required check means Berth cannot run containers here: doctor exits 1. */
  required: boolean;
  /** Structured facts for scripts (e.g. cgroup controllers, boot times). */
  facts?: Record<string, unknown>;
}

/** The host as doctor sees it; the real one is `realHost()`, tests pass their own. */
export interface Host {
  run: ProcessRunner;
  /** Rejects with a Node system error (ENOENT, …) like fs.readFile. */
  readFile(path: string): Promise<string>;
  readlink(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  /** `uname -r`. */
  kernelRelease(): string;
  makeDir(path: string): Promise<void>;
  /** rmdir(2): removes an empty directory (or a cgroup). */
  removeDir(path: string): Promise<void>;
  makeTempDir(parent: string, prefix: string): Promise<string>;
  removeTree(path: string): Promise<void>;
  /** statfs(2) of the filesystem holding `path`. */
  space(path: string): Promise<{ availableBytes: number; totalBytes: number }>;
}

/** What every check gets. */
export interface CheckContext {
  host: Host;
  stateDir: string;
  /** PATH used to find QEMU and the tools doctor drives. */
  pathEnv: string | undefined;
  /** The native helper binary to ask for its version. */
  nativeHelper: string;
  /** Limit for the KVM probe boot. */
  kvmTimeoutMs?: number;
  /** Where temp dirs go when the state dir does not exist yet. */
  tmpDir: string;
}

type Verdict = Omit<CheckResult, 'status'>;

export const ok = (v: Verdict): CheckResult => ({ ...v, status: 'ok' });
export const warn = (v: Verdict): CheckResult => ({ ...v, status: 'warn' });
export const fail = (v: Verdict): CheckResult => ({ ...v, status: 'fail' });

/** First non-empty line of a failed command's output, for a detail line. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}

/** Why a command failed, in a few words: not installed, killed, or what it printed. */
export function commandFailure(command: string, result: Awaited<ReturnType<ProcessRunner>>): string {
  if (result.spawnError === 'ENOENT') return `${command} not found`;
  if (result.spawnError) return `${command} could not start: ${result.spawnError}`;
  if (result.timedOut) return `${command} timed out`;
  const said = firstLine(result.stderr) || firstLine(result.stdout);
  return `${command} failed (exit ${result.code ?? result.signal})${said ? `: ${said}` : ''}`;
}

/** The environment doctor runs tools in: the caller's, with the PATH under test. */
export function toolEnv(ctx: CheckContext): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (ctx.pathEnv === undefined) delete env.PATH;
  else env.PATH = ctx.pathEnv;
  return env;
}
