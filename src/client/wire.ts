import { BerthError, type ErrorCategory } from '../core/index.ts';

const CATEGORIES: ErrorCategory[] = [
  'NotFound',
  'AlreadyExists',
  'InvalidArgument',
  'FailedPrecondition',
  'Conflict',
  'Unavailable',
  'Internal',
];

/** Rebuilds the daemon's `{"error": …}` object as the BerthError the daemon raised: same code, category, message, hint. */
export function errorFromWire(value: unknown, what: string): BerthError {
  const e = (value ?? {}) as Record<string, unknown>;
  const category = CATEGORIES.find((c) => c === e.category);
  if (typeof e.code !== 'string' || !/^ERR_[A-Z0-9]+(_[A-Z0-9]+)+$/.test(e.code) || !category) {
    return badResponse(what, `an error without a valid code and category: ${JSON.stringify(value)}`);
  }
  return new BerthError({
    code: e.code,
    category,
    message: typeof e.message === 'string' ? e.message : e.code,
    ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
  });
}

/** berthd answered something this client does not understand. */
export function badResponse(what: string, detail: string): BerthError {
  return new BerthError({
    code: 'ERR_CLIENT_BAD_RESPONSE',
    category: 'Internal',
    message: `${what}: unexpected answer from berthd: ${detail.slice(0, 200)}`,
    hint: 'the daemon and this CLI may be different Berth versions; compare `berth version` with GET /v1/version',
  });
}
