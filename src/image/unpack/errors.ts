import { BerthError } from '../../core/index.ts';
import { printable } from '../tar/index.ts';

/** An entry that would write outside the root or that policy forbids; names the entry. */
export function unsafeLayer(message: string, entry: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_LAYER_UNSAFE',
    category: 'InvalidArgument',
    message: `unsafe layer entry ${printable(entry)}: ${message}`,
    hint: 'the layer tries to write outside its snapshot or holds what policy forbids; do not use this image',
  });
}
