import { BerthError } from '../../core/index.ts';
import { responseError, unauthorized } from './errors.ts';
import type { HttpTransport } from './http.ts';
import { send } from './transport.ts';

/** A user's registry credentials. */
export interface Credentials {
  username: string;
  password: string;
}

/** One parsed `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"`. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a `WWW-Authenticate` header (one challenge, quoted or bare parameter values). */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const pairs = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (const pair of (match[2] ?? '').matchAll(pairs)) {
    params[(pair[1] ?? '').toLowerCase()] =
      pair[2] !== undefined ? pair[2].replace(/\\(.)/g, '$1') : (pair[3] ?? '');
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface RegistryAuthOptions {
  registry: string;
  credentials?: Credentials;
  transport: HttpTransport;
  timeoutMs: number;
  /** Refuses token realms the registry's http policy does not allow. */
  checkUrl: (url: URL) => void;
  now?: () => number;
}

/**
 * Authorization for one registry, learnt from its challenges: nothing (anonymous), Basic with
 * the stored credentials, or Bearer tokens fetched from the challenge's realm, cached per scope.
 */
export class RegistryAuth {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly options: RegistryAuthOptions;

  constructor(options: RegistryAuthOptions) {
    this.options = options;
  }

  /** The Authorization header for a request needing `scopes`, fetching a token if the registry wants one. */
  async header(scopes: string[]): Promise<string | undefined> {
    const scheme = this.challenge?.scheme;
    if (scheme === 'basic') return this.basicHeader();
    if (scheme !== 'bearer') return undefined;
    const key = scopes.join(' ');
    const now = (this.options.now ?? Date.now)();
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > now) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(scopes);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  /** Learns from a 401: records the challenge; returns false when it cannot be answered. */
  accept(header: string | null, what: string): void {
    const challenge = header ? parseChallenge(header) : undefined;
    if (!challenge) throw unauthorized(what, '401 unauthorized without a WWW-Authenticate challenge');
    if (challenge.scheme !== 'basic' && challenge.scheme !== 'bearer') {
      throw unauthorized(
        what,
        `the registry asks for '${challenge.scheme}' authentication, which berth does not support`,
      );
    }
    if (challenge.scheme === 'basic' && !this.options.credentials) {
      throw unauthorized(what, 'the registry requires a user name and password');
    }
    this.challenge = challenge;
    this.tokens.clear();
  }

  private basicHeader(): string {
    const c = this.options.credentials;
    if (!c) throw unauthorized(this.options.registry, 'the registry requires a user name and password');
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  private async fetchToken(scopes: string[]): Promise<CachedToken> {
    const params = this.challenge?.params ?? {};
    const what = `get a token for ${this.options.registry}`;
    if (!params.realm) throw unauthorized(what, 'the bearer challenge has no realm');
    const url = new URL(params.realm);
    this.options.checkUrl(url);
    if (params.service) url.searchParams.set('service', params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.credentials) headers.authorization = this.basicHeader();
    const reply = await send(
      url.href,
      { headers },
      { transport: this.options.transport, timeoutMs: this.options.timeoutMs, what },
    );
    if (!reply.res.ok) {
      if (reply.res.status === 401) {
        await reply.discard();
        throw unauthorized(
          what,
          this.options.credentials
            ? 'the token server refused the credentials'
            : 'the registry requires authentication',
        );
      }
      throw await responseError(reply.res, what);
    }
    const body = await reply.bytes(
      1024 * 1024,
      (n) => new Error(`token response of ${n} bytes is too large`),
    );
    return parseTokenResponse(body, what, (this.options.now ?? Date.now)());
  }
}

function parseTokenResponse(body: Buffer, what: string, now: number): CachedToken {
  let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    doc = {};
  }
  const token = typeof doc.token === 'string' ? doc.token : doc.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new BerthError({
      code: 'ERR_IMAGE_REGISTRY_UNAUTHORIZED',
      category: 'FailedPrecondition',
      message: `${what}: the token server's answer holds no token`,
    });
  }
  // The spec's default lifetime is 60 s; renew a little early.
  const seconds = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
  return { token, expiresAt: now + Math.max(seconds - 10, 1) * 1000 };
}
