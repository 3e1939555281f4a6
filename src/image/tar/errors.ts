import { BerthError } from '../../core/index.ts';

// The bare reason of each error the tar reader throws, so callers other than unpack (archive
// load and import) can name the problem in their own words and code.
const REASONS = new WeakMap<BerthError, string>();

/** A malformed or hostile layer archive: the message names the entry and the problem. */
export function invalidLayer(message: string, cause?: unknown): BerthError {
  const err = new BerthError({
    code: 'ERR_IMAGE_LAYER_INVALID',
    category: 'InvalidArgument',
    message: `invalid layer: ${message}`,
    hint: 'the layer archive is corrupt or was crafted to be hostile; rebuild or re-pull the image',
    cause,
  });
  REASONS.set(err, message);
  return err;
}

/** Why the tar reader refused its input (without the layer wording); undefined for any other error. */
export function tarErrorReason(err: unknown): string | undefined {
  return err instanceof BerthError ? REASONS.get(err) : undefined;
}
