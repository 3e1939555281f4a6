import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BerthError, SyscallError } from '../../core/index.ts';
import { FrameReader, frame } from '../../core/resident/index.ts';

/** A message from the native helper (native/channel.h framing). */
export type LauncherMessage =
  | { type: 'pid'; pid: number }
  | { type: 'ready' }
  | { type: 'exit'; code: number }
  | { type: 'signal'; signal: number }
  | { type: 'error'; error: BerthError }
  | { type: 'eof' };

/** The native helper running a launch plan, and the channel to it. */
export interface Launcher {
  /** The helper process when this process spawned it (absent when a front-end runs the plan). */
  process?: ChildProcess;
  next(): Promise<LauncherMessage>;
  send(fields: string[]): void;
  close(): void;
  /** Forwards the caller's termination signals to `pid` until the returned function is called. */
  forwardSignals(pid: number): () => void;
}

/** What a launch needs besides the plan: fds from 3 to pass through, and the container it is for. */
export interface LaunchRequest {
  plan: Buffer;
  /** How many fds from 3 the container inherits (LISTEN_FDS + --preserve-fds). */
  passFds: number;
  /** `--root` and id of the container being created, for clean-up if the caller goes away. */
  container?: { root: string; id: string };
  /** The container's stdin, stdout and stderr: the caller's by default (runc's contract). */
  stdio?: ContainerStdio;
}

/** What the container's stdin, stdout and stderr are: the caller's (default), nothing, or an fd. */
export type ContainerStdio = [
  'inherit' | 'ignore' | number,
  'inherit' | 'ignore' | number,
  'inherit' | 'ignore' | number,
];

/** Starts executing a launch plan: the native helper by default, a front-end in the planner. */
export type StartLauncher = (request: LaunchRequest) => Launcher;

/** Signals a foreground container's monitor passes on to it (runc's list). */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
];

const DEFAULT_NATIVE = fileURLToPath(new URL('../../../native/build/berth-native', import.meta.url));

/** Path of the native helper binary (BERTH_NATIVE overrides it). */
export function nativeHelperPath(): string {
  const path = process.env.BERTH_NATIVE ?? DEFAULT_NATIVE;
  if (existsSync(path)) return path;
  throw new BerthError({
    code: 'ERR_RUNTIME_NATIVE_MISSING',
    category: 'FailedPrecondition',
    message: `native helper ${path} is missing`,
    hint: "build it with 'make -C native' (scripts/setup.sh does this)",
  });
}

/** Starts the helper with the plan; the caller's stdio (and `passFds` fds from 3) pass through. */
export function startLauncher(request: LaunchRequest): Launcher {
  const extra = Array.from({ length: request.passFds }, (_, i) => 3 + i);
  const channelFd = 3 + request.passFds;
  const stdio: StdioOptions = [...(request.stdio ?? ['inherit', 'inherit', 'inherit']), ...extra, 'pipe'];
  const child = spawn(nativeHelperPath(), ['launch', String(channelFd)], { stdio });
  const channel = child.stdio[channelFd] as Socket;
  const reader = new FrameReader(channel);
  channel.write(frameRaw(request.plan));
  return {
    process: child,
    next: async () => launcherMessage(await reader.next()),
    send: (fields) => channel.write(frame(fields)),
    close: () => {
      channel.destroy();
      child.unref();
    },
    forwardSignals: forwardProcessSignals,
  };
}

/** Passes this process's termination signals on to `pid` (the monitor is this process). */
export function forwardProcessSignals(pid: number): () => void {
  const forward = (signal: NodeJS.Signals) => {
    try {
      process.kill(pid, signal);
    } catch {}
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return () => {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  };
}

function frameRaw(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

/** The helper's message in a frame (null: the channel ended). */
export function launcherMessage(frame: Buffer[] | null): LauncherMessage {
  if (frame === null) return { type: 'eof' };
  const fields = frame.map((f) => f.toString('utf8'));
  const [type = '', a = ''] = fields;
  switch (type) {
    case 'pid':
      return { type, pid: Number(a) };
    case 'ready':
      return { type };
    case 'exit':
      return { type, code: Number(a) };
    case 'signal':
      return { type, signal: Number(a) };
    case 'error':
      return { type, error: stepError(fields) };
    default:
      return {
        type: 'error',
        error: new Error(`unknown message '${type}' from the native helper`) as BerthError,
      };
  }
}

/** Turns the helper's report (step, syscall, errno, path, detail) into the error users see. */
export function stepError(fields: string[]): BerthError {
  const [, , op = '', syscall = '', errno = '', path = '', detail = ''] = fields;
  if (syscall === 'exec' && errno === 'ENOENT') {
    return new BerthError({
      code: 'ERR_RUNTIME_EXEC_NOT_FOUND',
      category: 'NotFound',
      message: `exec "${path}": ${detail || 'no such file or directory'}`,
      hint: 'check process.args[0] and PATH in process.env; the file must exist inside the root filesystem',
    });
  }
  if (syscall === 'hook') {
    return new BerthError({
      code: 'ERR_RUNTIME_HOOK_FAILED',
      category: 'FailedPrecondition',
      message: detail.trim() || `hook ${path} failed`,
      hint: 'fix or remove the hook in config.json',
    });
  }
  if (errno === '') {
    return new BerthError({
      code: 'ERR_RUNTIME_LAUNCH_FAILED',
      category: 'Internal',
      message: `${op}: ${detail}`,
    });
  }
  return new SyscallError({
    syscall,
    errno,
    path: path || undefined,
    step: op === syscall ? op : `${op} (${syscall})`,
    hint: detail || undefined,
  });
}
