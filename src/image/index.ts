// Images: content store, registry, manifests (img-registry) and layer unpacking (img-unpack).

// Content store, references, manifests, registry client, image metadata. Each part's own
// index.ts lists its exports.
export * from './content/index.ts';
export * from './manifest/index.ts';
export * from './reference/index.ts';
export * from './registry/index.ts';
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
