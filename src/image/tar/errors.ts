import { BerthError } from '../../core/index.ts';

/** A malformed or hostile layer archive: the message names the entry and the problem. */
export function invalidLayer(message: string, cause?: unknown): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_LAYER_INVALID',
    category: 'InvalidArgument',
    message: `invalid layer: ${message}`,
    hint: 'the layer archive is corrupt or was crafted to be hostile; rebuild or re-pull the image',
    cause,
  });
}
