/** Liveness of a container's init and its lifecycle status. */
export { containerStatus, isInitAlive, processStat } from './status.ts';
export type { ContainerRecord } from './store.ts';
/** Persistent per-container state under `--root`, and id checks. */
export { checkContainerId, StateStore, writeFileAtomic } from './store.ts';
