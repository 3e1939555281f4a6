import { containerStatus, type StateStore } from '../state/index.ts';
import { recordCgroup } from './cgroup.ts';
import { wrongState } from './wrong-state.ts';

/** `pause`: freezes every process of a running (or created) container; its status becomes paused. */
export async function pauseContainer(store: StateStore, id: string): Promise<void> {
  const record = store.load(id);
  const status = containerStatus(record, store.fifoPath(id));
  if (status !== 'running' && status !== 'created') throw wrongState('pause', id, status);
  await (await recordCgroup(record)).freeze();
  store.save({ ...record, paused: true });
}

/** `resume`: thaws a paused container. */
export async function resumeContainer(store: StateStore, id: string): Promise<void> {
  const record = store.load(id);
  const status = containerStatus(record, store.fifoPath(id));
  if (status !== 'paused') throw wrongState('resume', id, status);
  await (await recordCgroup(record)).thaw();
  store.save({ ...record, paused: false });
}
