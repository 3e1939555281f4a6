// Building images from a Containerfile/Dockerfile.
export type { CachedStep } from './cache.ts';
export { BuildCache } from './cache.ts';
export type { Containerfile, RawInstruction, Stage } from './containerfile/index.ts';
/** Parses Containerfile/Dockerfile text into stages of instructions. */
export { parseContainerfile } from './containerfile/index.ts';
export type { IgnoreMatcher } from './context/index.ts';
/** Compiles .dockerignore text into a matcher. */
export { compileIgnore } from './context/index.ts';
/** Builds the image a Containerfile describes and records it under the request's tags. */
export { buildImage } from './executor.ts';
/** Unmounts and removes what an interrupted build left under its work root. */
export { recoverBuildLeftovers } from './recover.ts';
export type { BuildSyscalls } from './syscalls.ts';
export { libcBuildSyscalls } from './syscalls.ts';
export type {
  BuildDeps,
  BuildEvent,
  BuildRequest,
  BuildResult,
  StepRunner,
  StepRunOptions,
  StepUser,
} from './types.ts';
