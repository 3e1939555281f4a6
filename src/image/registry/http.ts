import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';

/** One HTTP request as the registry client makes it. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Bytes, or a stream for blob uploads. */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  signal: AbortSignal;
}

/** The parts of a response the registry client reads. */
export interface HttpResponse {
  status: number;
  statusText: string;
  ok: boolean;
  /** The URL that answered, after redirects. */
  url: string;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  /** Reads and drops the rest of the body, so the connection can be reused. */
  drain(): void;
}

/** Sends HTTP requests; Berth's is `nodeHttpTransport`, tests may pass their own. */
export type HttpTransport = (req: HttpRequest) => Promise<HttpResponse>;

const MAX_REDIRECTS = 10;
// Keep-alive pools: a pull reuses a few connections for all its blobs. Idle sockets are
// unref'd by Node, so they never keep a finished command alive.
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
let https: Promise<{ request: typeof httpRequest; agent: HttpAgent }> | undefined;

/** node:https loads the TLS stack (~17 ms): only when a registry needs it. */
function loadHttps(): Promise<{ request: typeof httpRequest; agent: HttpAgent }> {
  https ??= import('node:https').then((m) => ({
    request: m.request as unknown as typeof httpRequest,
    agent: new m.Agent({ keepAlive: true, maxSockets: 16 }) as unknown as HttpAgent,
  }));
  return https;
}

/**
 * HTTP over node:http/node:https, following redirects (dropping credentials when the origin
 * changes, as fetch does). Chosen over fetch (undici) after measuring: undici's first use in a
 * process costs ~150 ms of CPU and it spends ~1.5x the CPU per byte on blob downloads.
 */
export const nodeHttpTransport: HttpTransport = async (req) => {
  let url = new URL(req.url);
  let method = req.method;
  let headers = { ...req.headers };
  let body = req.body;
  for (let hop = 0; ; hop++) {
    const res = await sendOnce(url, { method, headers, body, signal: req.signal });
    const location = res.headers.location;
    if (!isRedirect(res.statusCode ?? 0) || !location || hop >= MAX_REDIRECTS) return wrap(res, url);
    res.resume();
    const next = new URL(location, url);
    if (next.origin !== url.origin) headers = withoutCredentials(headers);
    if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-/i.test(k)));
    } else if (body !== undefined && !(body instanceof Uint8Array)) {
      throw new Error(`cannot replay a streamed ${method} body to the redirect ${next.href}`);
    }
    url = next;
  }
};

async function sendOnce(
  url: URL,
  options: {
    method: string;
    headers: Record<string, string>;
    body?: Uint8Array | AsyncIterable<Uint8Array>;
    signal: AbortSignal;
  },
): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? await loadHttps() : { request: httpRequest, agent: httpAgent };
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: options.method,
      headers: options.headers,
      agent: client.agent,
      signal: options.signal,
    });
    req.on('response', resolve);
    req.on('error', reject);
    writeBody(req, options.body).catch((err) => req.destroy(err));
  });
}

async function writeBody(
  req: ClientRequest,
  body: Uint8Array | AsyncIterable<Uint8Array> | undefined,
): Promise<void> {
  if (body === undefined) return void req.end();
  if (body instanceof Uint8Array) return void req.end(body);
  for await (const chunk of body) {
    if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
  }
  req.end();
}

function wrap(res: IncomingMessage, url: URL): HttpResponse {
  const status = res.statusCode ?? 0;
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    url: url.href,
    headers: {
      get(name: string) {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: res,
    async text() {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    drain() {
      res.resume();
    },
  };
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !/^(authorization|cookie)$/i.test(k)));
}
