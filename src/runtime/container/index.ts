// The lifecycle verbs, one file each. The runc-compatible CLI imports these files directly so
// each verb loads only what it uses.
export type { CreatedContainer, CreateOptions } from './create.ts';
/** Sets up a container and leaves its init waiting for start. */
export { createContainer } from './create.ts';
/** Removes a stopped container (or kills it first with force). */
export { deleteContainer } from './delete.ts';
export type { ContainerEvent, WatchOptions } from './events.ts';
/** Cgroup statistics once (`events --stats`), or a stream of stats and OOM events (`events`). */
export { containerStats, watchEvents } from './events.ts';
/** Signals a container's init; parses signal names and numbers. */
export { killContainer, parseSignal } from './kill.ts';
export type { ContainerStdio } from './launcher.ts';
/** Freezes and thaws a container's processes. */
export { pauseContainer, resumeContainer } from './pause.ts';
/** Host pids of every process in the container's cgroup. */
export { containerProcesses } from './ps.ts';
export type { RunOptions } from './run.ts';
/** Creates, starts, waits for and deletes a container. */
export { runContainer } from './run.ts';
/** Releases a created container's init to exec its process. */
export { startContainer } from './start.ts';
export type { RuntimeState } from './state.ts';
/** Reports a container's lifecycle state as runc does. */
export { containerState } from './state.ts';
/** Applies new cgroup limits to a running container. */
export { updateContainer } from './update.ts';
