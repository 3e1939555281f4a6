import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BerthError, SyscallError } from '../../core/index.ts';

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
  process: ChildProcess;
  next(): Promise<LauncherMessage>;
  send(fields: string[]): void;
  close(): void;
}

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

function frame(fields: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  fields.forEach((f, i) => {
    if (i > 0) parts.push(Buffer.from([0]));
    parts.push(typeof f === 'string' ? Buffer.from(f) : f);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

/** What the container's stdin, stdout and stderr are: the caller's (default), nothing, or an fd. */
export type ContainerStdio = [
  'inherit' | 'ignore' | number,
  'inherit' | 'ignore' | number,
  'inherit' | 'ignore' | number,
];

/** Starts the helper with `plan`; the caller's stdio (and `preserveFds` fds from 3) pass through. */
export function startLauncher(
  plan: Buffer,
  preserveFds = 0,
  std: ContainerStdio = ['inherit', 'inherit', 'inherit'],
): Launcher {
  const extra = Array.from({ length: preserveFds }, (_, i) => 3 + i);
  const channelFd = 3 + preserveFds;
  const stdio: StdioOptions = [...std, ...extra, 'pipe'];
  const child = spawn(nativeHelperPath(), ['launch', String(channelFd)], { stdio });
  const channel = child.stdio[channelFd] as Socket;
  const reader = new FrameReader(channel);
  channel.write(frameRaw(plan));
  return {
    process: child,
    next: () => reader.next(),
    send: (fields) => channel.write(frame(fields)),
    close: () => {
      channel.destroy();
      child.unref();
    },
  };
}

function frameRaw(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

class FrameReader {
  #buffer = Buffer.alloc(0);
  #queue: LauncherMessage[] = [];
  #waiters: ((m: LauncherMessage) => void)[] = [];
  #ended = false;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    const end = () => {
      if (this.#ended) return;
      this.#ended = true;
      this.#push({ type: 'eof' });
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  next(): Promise<LauncherMessage> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#ended) return Promise.resolve({ type: 'eof' });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #push(message: LauncherMessage): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(message);
    else this.#queue.push(message);
  }

  #drain(): void {
    while (this.#buffer.length >= 4) {
      const len = this.#buffer.readUInt32LE(0);
      if (this.#buffer.length < 4 + len) return;
      const fields = this.#buffer
        .subarray(4, 4 + len)
        .toString('utf8')
        .split('\0');
      this.#buffer = this.#buffer.subarray(4 + len);
      this.#push(parseMessage(fields));
    }
  }
}

function parseMessage(fields: string[]): LauncherMessage {
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
