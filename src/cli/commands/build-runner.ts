// RUN steps of `berth build` in real Berth containers: the image domain hands over a mounted root
// filesystem and a command (StepRunner); this builds the OCI spec and runs it with the runtime.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../../core/index.ts';
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

/**
 * Runs each step as a foreground container under `stateRoot`. Its bundle and output log go in a
 * `step-…` directory there too, not on the state directory's filesystem: when a step fills that,
 * the output saying so (`No space left on device`) must still reach the user.
 */
export function runtimeStepRunner(options: { stateRoot: string }): StepRunner & {
  /** Removes the directories of steps a build killed mid-step left (its process is gone). */
  removeLeftovers(): Promise<void>;
} {
  const store = new StateStore(options.stateRoot);
  return {
    async run(o) {
      const hex = randomBytes(6).toString('hex');
      const dir = join(options.stateRoot, `step-${process.pid}-${hex}`);
      await mkdir(join(dir, 'bundle'), { recursive: true, mode: 0o700 });
      try {
        await writeFile(join(dir, 'bundle', 'config.json'), JSON.stringify(stepSpec(o)));
        return { exitCode: await runLogged(store, { id: `berth-build-${hex}`, dir, onOutput: o.onOutput }) };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async removeLeftovers() {
      // The run directory may serve builds of several state directories (several build locks):
      // a step directory goes only once the build process that made it is gone.
      for (const name of await readdir(options.stateRoot).catch(() => [])) {
        const pid = Number(/^step-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
        if (pid > 0 && processAlive(pid)) continue;
        if (name.startsWith('step-'))
          await rm(join(options.stateRoot, name), { recursive: true, force: true });
      }
    },
  };
}

/** Runs the bundle in `dir`; output goes to a file it tails. */
async function runLogged(
  store: StateStore,
  o: { id: string; dir: string; onOutput: (chunk: Buffer) => void },
): Promise<number> {
  // A file rather than a pipe: a daemon the step leaves running cannot hold the build open.
  const log = join(o.dir, 'output.log');
  const fd = openSync(log, 'w');
  const tail = new LogTail(log, o.onOutput);
  try {
    return await runContainer({
      store,
      id: o.id,
      bundle: join(o.dir, 'bundle'),
      stdio: ['ignore', fd, fd],
      noNewKeyring: true,
    });
  } finally {
    closeSync(fd);
    tail.stop();
  }
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
