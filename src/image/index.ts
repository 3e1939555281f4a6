// Public surface of the image domain: content store, references, manifests, registry client,
// image metadata, archives, base images and layer unpacking. Each part's index.ts lists its exports.

export * from './archive/index.ts';
export * from './base/index.ts';
// Building images from a Containerfile.
export type {
  BuildDeps,
  BuildEvent,
  BuildRequest,
  BuildResult,
  BuildSyscalls,
  CachedStep,
  Containerfile,
  IgnoreMatcher,
  RawInstruction,
  Stage,
  StepRunner,
  StepRunOptions,
  StepUser,
} from './build/index.ts';
export {
  BuildCache,
  buildImage,
  compileIgnore,
  libcBuildSyscalls,
  parseContainerfile,
  recoverBuildLeftovers,
} from './build/index.ts';
export * from './content/index.ts';
export * from './manifest/index.ts';
export * from './reference/index.ts';
export * from './registry/index.ts';
// A container's root filesystem: snapshot mounts, undo steps, the image's users.
export * from './rootfs/index.ts';
export * from './store/index.ts';
export type { TarEntry, TarLimits, TarSink } from './tar/index.ts';
export { TarReader } from './tar/index.ts';
// Layer unpacking into snapshots.
export type {
  Compression,
  ImageLayer,
  LayerStats,
  UnpackedLayer,
  UnpackImageRequest,
  UnpackImageResult,
  UnpackLayerOptions,
  UnpackLayerRequest,
  UnpackLayerResult,
  UnpackSyscalls,
  WhiteoutMode,
} from './unpack/index.ts';
export { chainIds, detectCompression, unpackImage, unpackLayer, upperDir } from './unpack/index.ts';
