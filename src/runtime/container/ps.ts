import { containerStatus, type StateStore } from '../state/index.ts';
import { recordCgroup } from './cgroup.ts';
import { wrongState } from './wrong-state.ts';

/** `ps`: host pids of every process in the container's cgroup (init's children and exec'd processes). */
export async function containerProcesses(store: StateStore, id: string): Promise<number[]> {
  const record = store.load(id);
  const status = containerStatus(record, store.fifoPath(id));
  if (status === 'stopped' || status === 'creating') throw wrongState('list processes of', id, status);
  return (await recordCgroup(record)).pids();
}
