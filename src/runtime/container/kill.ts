import { constants } from 'node:os';
import { BerthError } from '../../core/index.ts';
import { containerPids, containerStatus, type StateStore } from '../state/index.ts';
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

/** `kill`: signals a created or running container's init, or with `all` every process in it. */
export function killContainer(store: StateStore, id: string, signal: number, all = false): void {
  const record = store.load(id);
  const status = containerStatus(record, store.fifoPath(id));
  if (status === 'stopped' || status === 'creating') throw wrongState('kill', id, status);
  const pids = all ? containerPids(record) : [record.pid];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if (pid === record.pid) throw err;
    }
  }
}
