// Process spawning for base-image builds, behind a small interface so the planning logic is
// testable without running debootstrap.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { BerthError } from '../../core/index.ts';

export interface BaseHost {
  /** Runs `argv` to completion and returns its stdout. */
  capture(argv: string[]): Promise<Buffer>;
  /** Runs `argv`, handing each output line (stdout and stderr) to `onLine`. */
  run(argv: string[], onLine?: (line: string) => void): Promise<void>;
  /** Runs `argv` and yields its stdout; a non-zero exit becomes an error at the end. */
  stream(argv: string[]): AsyncIterable<Buffer>;
  readFile(path: string): Promise<Buffer>;
  /** Names in a directory; empty when it does not exist. */
  listDir(path: string): Promise<string[]>;
}

/** The real host: child processes and the local filesystem. */
export const localHost: BaseHost = {
  async capture(argv) {
    const chunks: Buffer[] = [];
    for await (const chunk of localHost.stream(argv)) chunks.push(chunk);
    return Buffer.concat(chunks);
  },
  async run(argv, onLine) {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    for (const output of [child.stdout, child.stderr]) {
      createInterface({ input: output }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        onLine?.(line);
      });
    }
    const code = await exited(child, argv);
    if (code !== 0) throw commandFailed(argv, code, tail.join('\n'));
  },
  async *stream(argv) {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const done = exited(child, argv);
    let drained = false;
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
      drained = true;
    } finally {
      // Only a consumer that stopped early kills the command. Its stdout can end a moment
      // before it exits: killing it then turned a successful tar into "status 128".
      if (!drained && child.exitCode === null) child.kill();
    }
    const code = await done;
    if (code !== 0) throw commandFailed(argv, code, stderr);
  },
  readFile: (path) => readFile(path),
  listDir: (path) => readdir(path).catch(() => []),
};

function exited(child: ReturnType<typeof spawn>, argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', (err) =>
      reject(
        new BerthError({
          code: 'ERR_IMAGE_BASE_TOOL_MISSING',
          category: 'FailedPrecondition',
          message: `cannot run ${argv[0]}: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
          hint: 'run scripts/setup.sh to install the packages base images are built from',
          cause: err,
        }),
      ),
    );
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function commandFailed(argv: string[], code: number, output: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_BASE_BUILD_FAILED',
    category: 'Internal',
    message: `${argv.slice(0, 3).join(' ')} exited with status ${code}${output ? `: ${output.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
  });
}
