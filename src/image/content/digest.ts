import { createHash, type Hash } from 'node:crypto';
import { BerthError } from '../../core/index.ts';

/** A content digest as written in manifests: `sha256:<64 lower-case hex>`. */
export type Digest = `sha256:${string}`;

const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** True when `value` is a sha256 digest Berth can store. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

/** Checks `value` is a sha256 digest; `what` names where it came from in the error. */
export function parseDigest(value: unknown, what = 'digest'): Digest {
  if (isDigest(value)) return value;
  const shown = typeof value === 'string' ? `'${value.slice(0, 80)}'` : typeof value;
  const algorithm = typeof value === 'string' && /^[a-z0-9+._-]+:/.test(value) ? value.split(':')[0] : '';
  throw new BerthError({
    code: 'ERR_IMAGE_DIGEST_INVALID',
    category: 'InvalidArgument',
    message:
      algorithm && algorithm !== 'sha256'
        ? `${what} ${shown} uses algorithm '${algorithm}'; only sha256 is supported`
        : `${what} ${shown} is not a digest of the form sha256:<64 hex digits>`,
  });
}

/** The hex part of a digest, used as the blob's file name. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** Digest of bytes held in memory. */
export function digestOf(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A running sha256 over a stream of chunks. */
export function newHasher(): Hash {
  return createHash('sha256');
}

/** Error for content whose digest is not the one expected. */
export function digestMismatch(options: { what: string; expected: string; actual: string }): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_DIGEST_MISMATCH',
    category: 'FailedPrecondition',
    message: `${options.what}: content has digest ${options.actual}, expected ${options.expected}`,
    hint: 'the registry or file served different bytes than its manifest names; nothing was stored',
  });
}
