import { BerthError } from '../../core/index.ts';
import type { ContentStore } from '../content/index.ts';
import { parseImageConfig } from '../manifest/index.ts';
import type { ImageLayer } from '../unpack/index.ts';
import type { ImageRecord } from './types.ts';

/** The layers of a stored image, bottom first, as `unpackImage` takes them: diff_id and a blob opener. */
export async function imageLayers(image: ImageRecord, content: ContentStore): Promise<ImageLayer[]> {
  const config = parseImageConfig(await content.readBytes(image.config.digest));
  if (config.diffIds.length !== image.layers.length) {
    throw new BerthError({
      code: 'ERR_IMAGE_CONFIG_INVALID',
      category: 'InvalidArgument',
      message: `image ${image.id}: its config lists ${config.diffIds.length} layers, its manifest ${image.layers.length}`,
    });
  }
  return image.layers.map((layer, i) => ({
    diffId: config.diffIds[i] as string,
    open: () => content.read(layer.digest),
  }));
}
