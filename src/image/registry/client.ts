import { BerthError } from '../../core/index.ts';
import {
  type ContentStore,
  type Digest,
  digestMismatch,
  digestOf,
  isDigest,
  type OpenedSource,
  type WrittenBlob,
} from '../content/index.ts';
import {
  type Descriptor,
  MANIFEST_MEDIA_TYPES,
  MAX_MANIFEST_BYTES,
  manifestTooLarge,
} from '../manifest/index.ts';
import { type Credentials, RegistryAuth } from './auth.ts';
import { allowsHttp, apiHost, checkScheme, isLoopback } from './endpoint.ts';
import { responseError, unavailable } from './errors.ts';
import { type HttpTransport, nodeHttpTransport } from './http.ts';
import { send, type TimedResponse } from './transport.ts';

export interface RegistryClientOptions {
  /** Registry name as in references: `docker.io`, `localhost:5000`. */
  registry: string;
  credentials?: Credentials;
  /** Registries (host or host:port) that may be reached over plain http. */
  insecureRegistries?: readonly string[];
  /** Milliseconds a connection may stall before it is abandoned (default 30 s). */
  timeoutMs?: number;
  /** Attempts per blob download; later attempts resume with a Range request (default 3). */
  attempts?: number;
  /** HTTP implementation (default node:http/https). */
  transport?: HttpTransport;
  /** Cancels every request of this client (e.g. the API caller went away). */
  signal?: AbortSignal;
}

/** What a request needs: its method, path under /v2/, scopes for a token, a re-creatable body. */
export interface RegistryRequest {
  method?: string;
  /** Path after `/v2/`, or an absolute URL (upload locations). */
  path: string;
  scopes: string[];
  headers?: Record<string, string>;
  body?: () => Uint8Array | AsyncIterable<Uint8Array>;
  what: string;
}

/** A fetched manifest: its exact bytes (digests are over them), type and digest. */
export interface FetchedManifest {
  bytes: Buffer;
  digest: Digest;
  contentType: string;
}

/** Client of one registry per the OCI distribution-spec (HTTP API v2). */
export class RegistryClient {
  readonly registry: string;
  readonly auth: RegistryAuth;
  private readonly options: RegistryClientOptions;
  private readonly transport: HttpTransport;
  private base: string | undefined;

  constructor(options: RegistryClientOptions) {
    this.options = options;
    this.registry = options.registry;
    this.transport = options.transport ?? nodeHttpTransport;
    this.auth = new RegistryAuth({
      registry: options.registry,
      credentials: options.credentials,
      transport: this.transport,
      timeoutMs: this.timeoutMs,
      checkUrl: (url) => checkScheme(url, options.insecureRegistries ?? []),
    });
  }

  get timeoutMs(): number {
    return this.options.timeoutMs ?? 30_000;
  }

  /** Checks the registry answers /v2/ and learns how it wants to be authenticated. */
  async ping(): Promise<void> {
    const reply = await this.ok({ path: '', scopes: [], what: `ping ${this.registry}` });
    await reply.discard();
  }

  /** Fetches a manifest by tag or digest, verifying its digest and size limit. */
  async getManifest(repository: string, selector: string): Promise<FetchedManifest> {
    const what = `manifest ${repository}:${selector} from ${this.registry}`;
    const reply = await this.ok({
      path: `${repository}/manifests/${selector}`,
      scopes: [`repository:${repository}:pull`],
      headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      what: `get ${what}`,
    });
    const bytes = await reply.bytes(MAX_MANIFEST_BYTES, (n) => manifestTooLarge(what, n));
    const digest = digestOf(bytes);
    const claimed = isDigest(selector) ? selector : reply.res.headers.get('docker-content-digest');
    if (isDigest(claimed) && claimed !== digest)
      throw digestMismatch({ what, expected: claimed, actual: digest });
    return { bytes, digest, contentType: reply.res.headers.get('content-type') ?? '' };
  }

  /** Downloads a blob into `store`, resuming after interruptions and verifying the digest. */
  async fetchBlob(
    repository: string,
    descriptor: Descriptor,
    options: { store: ContentStore; onProgress?: (done: number) => void },
  ): Promise<WrittenBlob> {
    const what = `blob ${descriptor.digest} of ${this.registry}/${repository}`;
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await options.store.ingest({
          digest: descriptor.digest,
          size: descriptor.size,
          what,
          onProgress: options.onProgress,
          open: (offset) => this.openBlob(repository, descriptor.digest, { offset, what }),
        });
      } catch (err) {
        this.options.signal?.throwIfAborted();
        if (attempt >= attempts || !retryable(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  /** Sends a request with auth, answering one 401 challenge; returns any status. */
  async request(req: RegistryRequest): Promise<TimedResponse> {
    const first = await this.sendOnce(req);
    if (first.res.status !== 401) return first;
    await first.discard();
    this.auth.accept(first.res.headers.get('www-authenticate'), req.what);
    const second = await this.sendOnce(req);
    return second;
  }

  /** Like `request`, but a non-2xx status becomes the matching BerthError. */
  async ok(req: RegistryRequest): Promise<TimedResponse> {
    const reply = await this.request(req);
    if (!reply.res.ok) throw await responseError(reply.res, req.what);
    return reply;
  }

  /** Absolute URL of a path under /v2/ (or an upload Location, relative or absolute). */
  async url(path: string): Promise<string> {
    return this.urlOn(await this.resolveBase(), path);
  }

  /** `path` (absolute URL, absolute path, or relative to /v2/) on `base`, if its scheme is allowed. */
  private urlOn(base: string, path: string): string {
    const url = new URL(/^https?:\/\//.test(path) || path.startsWith('/') ? path : `/v2/${path}`, base);
    checkScheme(url, this.options.insecureRegistries ?? []);
    return url.href;
  }

  private async openBlob(
    repository: string,
    digest: Digest,
    step: { offset: number; what: string },
  ): Promise<OpenedSource> {
    const headers: Record<string, string> = step.offset > 0 ? { range: `bytes=${step.offset}-` } : {};
    const reply = await this.ok({
      path: `${repository}/blobs/${digest}`,
      scopes: [`repository:${repository}:pull`],
      headers,
      what: `get ${step.what}`,
    });
    if (reply.res.status !== 206) return { body: reply.body(), offset: 0 };
    const start = Number(
      /^bytes (\d+)-/.exec(reply.res.headers.get('content-range') ?? '')?.[1] ?? Number.NaN,
    );
    if (start !== step.offset) {
      await reply.discard();
      throw unavailable(
        `get ${step.what}`,
        new Error(`registry answered range from ${start}, asked ${step.offset}`),
      );
    }
    return { body: reply.body(), offset: start };
  }

  private async sendOnce(req: RegistryRequest): Promise<TimedResponse> {
    if (this.base === undefined && !/^https?:\/\//.test(req.path)) {
      const schemes = this.schemes();
      if (schemes.length > 1) return this.sendFirst(req, schemes as [string, string]);
      this.base = schemes[0];
    }
    return this.sendTo(await this.url(req.path), req);
  }

  private async sendTo(url: string, req: RegistryRequest): Promise<TimedResponse> {
    const headers: Record<string, string> = { 'user-agent': 'berth/0.1', ...req.headers };
    const authorization = await this.auth.header(req.scopes);
    if (authorization) headers.authorization = authorization;
    const init = { method: req.method ?? 'GET', headers, body: req.body?.() };
    return send(url, init, {
      transport: this.transport,
      timeoutMs: this.timeoutMs,
      what: req.what,
      signal: this.options.signal,
    });
  }

  /**
   * The first request to a registry that may speak http finds its scheme itself, saving a probe
   * round trip: it is sent over the preferred scheme, and only when that cannot connect (or
   * answers 400, as an https server does to plain http) is the scheme probed as before.
   */
  private async sendFirst(req: RegistryRequest, schemes: [string, string]): Promise<TimedResponse> {
    const [first, second] = schemes;
    try {
      const reply = await this.sendTo(this.urlOn(first, req.path), req);
      if (reply.res.status !== 400) {
        this.base = first;
        return reply;
      }
      await reply.discard();
      this.base = (await this.answers(first)) ? first : second;
    } catch (err) {
      // Cannot connect (or the TLS handshake fails): the other scheme. A timeout stays an error.
      if (!(err instanceof BerthError && err.code === 'ERR_IMAGE_REGISTRY_UNAVAILABLE')) throw err;
      this.base = second;
    }
    return this.sendTo(await this.url(req.path), req);
  }

  /** Base URLs to try, preferred first: one for https-only registries. */
  private schemes(): string[] {
    const host = apiHost(this.registry);
    if (!allowsHttp(host, this.options.insecureRegistries ?? [])) return [`https://${host}`];
    const order = isLoopback(host) ? ['http', 'https'] : ['https', 'http'];
    return order.map((scheme) => `${scheme}://${host}`);
  }

  /**
   * https for remote registries. Loopback registries are tried over http first (saving a TLS
   * probe per command), insecure ones over https first, as Docker does; either falls back to
   * the other scheme when the first cannot connect or answers like a server of the other kind.
   */
  private async resolveBase(): Promise<string> {
    if (this.base) return this.base;
    const [first, second] = this.schemes() as [string, string | undefined];
    this.base = second === undefined || (await this.answers(first)) ? first : second;
    return this.base;
  }

  private async answers(base: string): Promise<boolean> {
    try {
      const probe = await send(
        `${base}/v2/`,
        {},
        { transport: this.transport, timeoutMs: this.timeoutMs, what: 'probe', signal: this.options.signal },
      );
      await probe.discard();
      // An https server answers a plain http request with 400.
      return probe.res.status !== 400;
    } catch (err) {
      if (err instanceof BerthError && err.code === 'ERR_IMAGE_REGISTRY_TIMEOUT') throw err;
      return false;
    }
  }
}

/** Interruptions worth another attempt (the next one resumes): dropped, stalled or cut-short streams, 5xx. */
function retryable(err: unknown): boolean {
  return err instanceof BerthError && err.category === 'Unavailable';
}
