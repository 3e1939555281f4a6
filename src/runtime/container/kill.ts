import { constants } from 'node:os';
import { BerthError } from '../../core/index.ts';
import { containerStatus, type StateStore } from '../state/index.ts';
import { recordCgroup } from './cgroup.ts';
import { wrongState } from './wrong-state.ts';

/** Parses a signal given as a name (`KILL`, `SIGKILL`) or a number. */
export function parseSignal(value: string | undefined): number {
  if (value === undefined || value === '') return constants.signals.SIGTERM;
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n > 0 && n <= 64) return n;
  } else {
    const name = value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`;
    const n = (constants.signals as Record<string, number>)[name];
    if (n !== undefined) return n;
  }
  throw new BerthError({
    code: 'ERR_RUNTIME_INVALID_SIGNAL',
    category: 'InvalidArgument',
    message: `unknown signal '${value}'`,
    hint: 'give a signal name such as TERM or KILL, or its number',
  });
}

/**
 * `kill`: signals a created, running or paused container's init; with `all`, every process in
 * its cgroup (frozen meanwhile, so none forks past it), which runc also allows once init is gone.
 */
export async function killContainer(
  store: StateStore,
  id: string,
  signal: number,
  all = false,
): Promise<void> {
  const record = store.load(id);
  const status = containerStatus(record, store.fifoPath(id));
  if (status === 'creating' || (status === 'stopped' && !all)) throw wrongState('kill', id, status);
  if (all) {
    try {
      await (await recordCgroup(record)).killAll(signal);
    } catch (err) {
      // Stopped, the cgroup may already be gone: nothing is left to signal.
      if (status !== 'stopped') throw err;
    }
    return;
  }
  process.kill(record.pid, signal);
}
