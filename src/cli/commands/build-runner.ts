// RUN steps of `berth build` in real Berth containers: the image domain hands over a mounted root
// filesystem and a command (StepRunner); this builds the OCI spec and runs it with the runtime.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepRunner, StepRunOptions } from '../../image/index.ts';
import { useHostNetwork } from '../../instance/index.ts';
import { runContainer } from '../../runtime/container/index.ts';
import { defaultSpec, type Spec } from '../../runtime/spec/index.ts';
import { StateStore } from '../../runtime/state/index.ts';

/**
 * The spec of a build step: Docker's defaults, the step's env/cwd/user, no pty, and the host's
 * network namespace with its resolv.conf (what `docker build` gives RUN), without no_new_privs
 * (a RUN may use setuid programs such as su, as under Docker).
 */
export function stepSpec(o: StepRunOptions): Spec {
  const spec = defaultSpec({ args: o.args, terminal: false });
  spec.root = { path: o.rootfs, readonly: false };
  spec.hostname = 'berth-build';
  const process = spec.process!;
  process.env = o.env.some((e) => e.startsWith('PATH=')) ? o.env : [...process.env!.slice(0, 1), ...o.env];
  process.cwd = o.cwd;
  process.user = { uid: o.user.uid, gid: o.user.gid, additionalGids: o.user.additionalGids };
  process.noNewPrivileges = false;
  useHostNetwork(spec);
  return spec;
}

/** Runs each step as a foreground container under `stateRoot`; output goes to a file it tails. */
export function runtimeStepRunner(options: { stateRoot: string }): StepRunner {
  const store = new StateStore(options.stateRoot);
  return {
    async run(o) {
      const bundle = join(o.scratch, 'bundle');
      await mkdir(bundle, { recursive: true });
      await writeFile(join(bundle, 'config.json'), JSON.stringify(stepSpec(o)));
      // A file rather than a pipe: a daemon the step leaves running cannot hold the build open.
      const log = join(o.scratch, 'output.log');
      const fd = openSync(log, 'w');
      const tail = new LogTail(log, o.onOutput);
      try {
        const id = `berth-build-${randomBytes(6).toString('hex')}`;
        const exitCode = await runContainer({
          store,
          id,
          bundle,
          stdio: ['ignore', fd, fd],
          noNewKeyring: true,
        });
        return { exitCode };
      } finally {
        closeSync(fd);
        tail.stop();
      }
    },
  };
}

/** Follows a growing file, handing new bytes to `onData` (every 50 ms, and once more at the end). */
class LogTail {
  readonly #fd: number;
  readonly #onData: (chunk: Buffer) => void;
  readonly #timer: NodeJS.Timeout;
  #offset = 0;

  constructor(path: string, onData: (chunk: Buffer) => void) {
    this.#fd = openSync(path, 'r');
    this.#onData = onData;
    this.#timer = setInterval(() => this.#drain(), 50);
  }

  #drain(): void {
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(this.#fd, buffer, 0, buffer.length, this.#offset);
      if (n === 0) return;
      this.#offset += n;
      this.#onData(Buffer.from(buffer.subarray(0, n)));
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#drain();
    closeSync(this.#fd);
  }
}
