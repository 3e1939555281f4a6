import type { ContainerStatus } from '../spec/index.ts';
import { containerStatus, type StateStore } from '../state/index.ts';

/** The state document `state` prints, field for field like runc's. */
export interface RuntimeState {
  ociVersion: string;
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/** `state`: the container's current lifecycle status and init pid (0 once stopped). */
export function containerState(store: StateStore, id: string): RuntimeState {
  const record = store.load(id);
  const status = containerStatus(record, store.fifoPath(id));
  const state: RuntimeState = {
    ociVersion: record.spec.ociVersion,
    id: record.id,
    pid: status === 'stopped' ? 0 : record.pid,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: '',
  };
  if (record.spec.annotations) state.annotations = record.spec.annotations;
  return state;
}
