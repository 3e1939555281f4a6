export type { ConfigFields, HistoryEntry, ImageConfig } from './config.ts';
export { parseImageConfig } from './config.ts';
export type { LayerCompression } from './media-types.ts';
export {
  CONFIG_MEDIA_TYPES,
  IMAGE_MANIFEST_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  layerCompression,
  MANIFEST_MEDIA_TYPES,
  MediaType,
} from './media-types.ts';
export { MAX_MANIFEST_BYTES, manifestTooLarge, parseDescriptor, parseManifest } from './parse.ts';
export {
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  selectPlatform,
} from './platform.ts';
export type { Descriptor, ImageIndex, ImageManifest, ParsedManifest, Platform } from './types.ts';
