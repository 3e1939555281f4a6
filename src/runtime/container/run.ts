import { BerthError } from '../../core/index.ts';
import { type CreateOptions, createContainer, signalQuietly } from './create.ts';
import { destroy } from './delete.ts';
import type { Launcher } from './launcher.ts';
import { startContainer } from './start.ts';

export interface RunOptions extends Omit<CreateOptions, 'monitor'> {
  /** Return once the process runs, leaving the caller to monitor it (like `create` + `start`). */
  detach?: boolean;
  /** Called with init's host pid once the container is created, before its process starts (network set-up). */
  beforeStart?: (pid: number) => Promise<void> | void;
}

/** `run`: create and start; in the foreground, forward signals, wait, delete, and return the exit status. */
export async function runContainer(o: RunOptions): Promise<number> {
  const { record, launcher } = await createContainer({ ...o, monitor: !o.detach });
  try {
    await o.beforeStart?.(record.pid);
    await startContainer(o.store, record.id);
  } catch (err) {
    signalQuietly(record.pid, 'SIGKILL');
    const cause = await initFailure(launcher);
    launcher.close();
    await destroy(o.store, record);
    throw cause ?? err;
  }
  return followProcess(launcher, {
    pid: record.pid,
    detach: o.detach,
    after: async () => {
      await destroy(o.store, record);
    },
  });
}

/**
 * Detached: lets go of the launcher and returns 0. Attached: forwards signals to `pid` and returns
 * its exit status; `after` runs however the wait ends.
 */
export async function followProcess(
  launcher: Launcher,
  o: { pid: number; detach?: boolean | undefined; after?: () => Promise<void> },
): Promise<number> {
  if (o.detach) {
    launcher.close();
    return 0;
  }
  const stopForwarding = launcher.forwardSignals(o.pid);
  try {
    return await waitForExit(launcher);
  } finally {
    stopForwarding();
    launcher.close();
    await o.after?.();
  }
}

/** What init reported before dying, if anything: the real cause when `start` finds it stopped. */
async function initFailure(launcher: Launcher): Promise<BerthError | undefined> {
  for (;;) {
    const message = await launcher.next();
    if (message.type === 'error') return message.error;
    if (message.type === 'eof' || message.type === 'exit' || message.type === 'signal') return undefined;
  }
}

/** The container's exit status as a shell reports it: the code, or 128 + the signal number. */
export async function waitForExit(launcher: Launcher): Promise<number> {
  let failure: BerthError | undefined;
  for (;;) {
    const message = await launcher.next();
    if (message.type === 'error') failure = message.error;
    else if (message.type === 'exit' || message.type === 'signal') {
      if (failure) throw failure;
      return message.type === 'exit' ? message.code : 128 + message.signal;
    } else if (message.type === 'eof') {
      throw (
        failure ??
        new BerthError({
          code: 'ERR_RUNTIME_MONITOR_LOST',
          category: 'Internal',
          message: 'the monitor exited without reporting the container exit status',
        })
      );
    }
  }
}
