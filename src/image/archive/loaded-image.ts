import type { Descriptor, ImageConfig } from '../manifest/index.ts';

/** An image found in an archive, verified into the content store but not yet recorded. */
export interface LoadedImage {
  manifest: Descriptor;
  index?: Descriptor;
  configDescriptor: Descriptor;
  layers: Descriptor[];
  config: ImageConfig;
  /** Names as the archive gives them (not yet normalized). */
  names: string[];
}
