// SIGINT/SIGTERM/SIGHUP while `berth run` is in the foreground. Before the container runs, the
// signal aborts the set-up (which is then undone); once it runs, the runtime passes the signal
// on, and — as `docker stop` does — the container is killed if it is still there after the stop
// timeout (a pid 1 without a handler ignores SIGTERM), or at once on a second signal.
import { BerthError } from '../../core/index.ts';

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export class StopOnSignal {
  readonly #timeoutMs: number;
  #pid: number | undefined;
  #received: NodeJS.Signals | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onSignal = (signal: NodeJS.Signals) => this.#handle(signal);

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    for (const signal of STOP_SIGNALS) process.on(signal, this.#onSignal);
  }

  /** Throws when a stop signal came before the container started. */
  check(): void {
    if (this.#received === undefined) return;
    throw new BerthError({
      code: 'ERR_INSTANCE_INTERRUPTED',
      category: 'FailedPrecondition',
      message: `interrupted by ${this.#received} before the container started`,
    });
  }

  /** The container's init runs as `pid`: later signals stop it. */
  started(pid: number): void {
    this.#pid = pid;
  }

  dispose(): void {
    for (const signal of STOP_SIGNALS) process.off(signal, this.#onSignal);
    clearTimeout(this.#timer);
  }

  #handle(signal: NodeJS.Signals): void {
    const first = this.#received === undefined;
    this.#received ??= signal;
    const pid = this.#pid;
    if (pid === undefined) return;
    if (!first) {
      kill(pid);
      return;
    }
    this.#timer = setTimeout(() => kill(pid), this.#timeoutMs);
    this.#timer.unref();
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}
