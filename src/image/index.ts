// Images: content store, registry, manifests (img-registry) and layer unpacking (img-unpack).

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
