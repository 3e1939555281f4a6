import { BerthError } from '../../core/index.ts';
import type { HttpResponse } from './http.ts';

/** Turns a registry's non-success response into a BerthError naming the status and the registry's own words. */
export async function responseError(res: HttpResponse, what: string): Promise<BerthError> {
  const detail = await registryErrorDetail(res);
  const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  const message = `${what}: ${status}${detail ? ` (${detail})` : ''}`;
  if (res.status === 401 || res.status === 403) {
    return new BerthError({
      code: 'ERR_IMAGE_REGISTRY_UNAUTHORIZED',
      category: 'FailedPrecondition',
      message,
      hint:
        res.status === 401
          ? "log in with 'berth login <registry>'"
          : 'the account lacks access to this repository',
    });
  }
  if (res.status === 404) {
    return new BerthError({
      code: 'ERR_IMAGE_REGISTRY_NOT_FOUND',
      category: 'NotFound',
      message,
      hint: 'check the repository name and tag',
    });
  }
  if (res.status === 429 || res.status >= 500) {
    return new BerthError({
      code: 'ERR_IMAGE_REGISTRY_UNAVAILABLE',
      category: 'Unavailable',
      message,
      hint:
        res.status === 429
          ? 'the registry is rate-limiting; wait and retry'
          : 'the registry failed; retry later',
    });
  }
  return new BerthError({ code: 'ERR_IMAGE_REGISTRY_REQUEST_FAILED', category: 'InvalidArgument', message });
}

/** Error for a 401 without a usable `WWW-Authenticate` challenge, or refused credentials. */
export function unauthorized(what: string, why: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_REGISTRY_UNAUTHORIZED',
    category: 'FailedPrecondition',
    message: `${what}: ${why}`,
    hint: "log in with 'berth login <registry>'",
  });
}

/** Error for a connection that failed, was refused or stalled. */
export function unavailable(what: string, cause: unknown): BerthError {
  if (cause instanceof BerthError) return cause;
  const reason = networkReason(cause);
  return new BerthError({
    code: 'ERR_IMAGE_REGISTRY_UNAVAILABLE',
    category: 'Unavailable',
    message: `${what}: ${reason}`,
    hint: 'check that the registry is reachable; retry later',
    cause,
  });
}

/** Error for a connection that sent nothing for the idle timeout. */
export function timedOut(what: string, ms: number): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_REGISTRY_TIMEOUT',
    category: 'Unavailable',
    message: `${what}: no data from the registry for ${ms} ms`,
    hint: 'the connection stalled; retry, or raise the timeout with --timeout',
  });
}

function networkReason(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as { cause?: unknown }).cause;
  const code = typeof inner === 'object' && inner !== null ? (inner as { code?: string }).code : undefined;
  const innerMessage = inner instanceof Error ? inner.message : undefined;
  return [cause.message, code ?? innerMessage].filter(Boolean).join(': ').toLowerCase();
}

async function registryErrorDetail(res: HttpResponse): Promise<string> {
  let text: string;
  try {
    text = (await res.text()).slice(0, 4096);
  } catch {
    return '';
  }
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = doc.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ').toLowerCase();
  } catch {
    // Not the registry's JSON error format: show the start of the body.
  }
  return text.trim().split('\n')[0]?.slice(0, 200) ?? '';
}
