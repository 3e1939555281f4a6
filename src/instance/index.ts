// Instances: the layer between the CLI/engine and the domains. For now one driver, a foreground
// container from an image (`berth run`); the VM driver and the Instance interface come with the engine.
export type { ContainerDriverDeps, RunContainerOnceOptions } from './drivers/container.ts';
/** Runs an image as a foreground container, removed when it exits; resolves to its exit status. */
export { exitStatusForError, runContainerOnce } from './drivers/container.ts';
export type { ContainerSpecOptions, NetworkMode } from './drivers/container-spec.ts';
/** The OCI spec of a `berth run` container. */
export { containerSpec, useHostNetwork } from './drivers/container-spec.ts';
export type { NetworkSetup } from './drivers/loopback.ts';
export { kernelNetworkSetup } from './drivers/loopback.ts';
export type { RunRecovery, RunRecoveryDeps, RunRecoveryOptions } from './drivers/recover.ts';
/** Cleans up after `berth run`s killed before their undo ran (owner dead); live runs are left alone. */
export { KERNEL_RECOVERY, recoverRunLeftovers } from './drivers/recover.ts';
export type { LiveRun, RunOwner, RunRecord } from './drivers/run-owner.ts';
/** A run's owner lock and record in `<stateDir>/runs`, taken before it creates anything; the live ones. */
export { claimRun, liveRuns } from './drivers/run-owner.ts';
export type { ImageSourceOptions, PullPolicy } from './image.ts';
/** Finds, builds (busybox) or pulls the image a container runs. */
export { resolveRunImage } from './image.ts';
export type { ImageProcessDefaults, ProcessConfig, ProcessOverrides } from './process-config.ts';
/** Docker's Entrypoint/Cmd/env/workdir/user rules. */
export { containerEnv, mergeEnv, mergeProcessConfig } from './process-config.ts';
