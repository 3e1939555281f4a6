import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { asBerthError, BerthError, type Logger } from '../core/index.ts';
import { KEEP_ALIVE_MS, startKeepAlive } from './keep-alive.ts';
import {
  type ApiRequest,
  type ApiResponse,
  isStream,
  type JsonResponse,
  matchRoute,
  type Route,
  type StreamResponse,
} from './router.ts';
import { httpStatusFor } from './status.ts';

const MAX_BODY_BYTES = 1 << 20;

/** A request as `handleRequest` takes it: `url` may carry a query; `signal` defaults to never aborting. */
export type RequestInput = Omit<ApiRequest, 'query' | 'signal'> & { url?: string; signal?: AbortSignal };

/** Answers one request without a socket: the same path a real request takes (fastify's `inject`). */
export async function handleRequest(routes: Route[], request: RequestInput): Promise<ApiResponse> {
  const url = new URL(request.url ?? request.path, 'http://berthd');
  try {
    const route = matchRoute(routes, request.method, url.pathname);
    return await route.handle({
      ...request,
      path: url.pathname,
      query: url.searchParams,
      signal: request.signal ?? new AbortController().signal,
    });
  } catch (err) {
    return errorResponse(err);
  }
}

/** The `{"error": …}` object an answer (or a stream's last line) carries for a failure. */
export function errorBody(err: unknown): { error: ReturnType<BerthError['toJSON']> } {
  return { error: asBerthError(err).toJSON() };
}

function errorResponse(err: unknown): JsonResponse {
  return { status: httpStatusFor(asBerthError(err).category), body: errorBody(err) };
}

/** What `createApiServer` serves and how. */
export interface ApiServerOptions {
  routes: Route[];
  log: Logger;
  now?: () => number;
  /** A quiet stream gets a keep-alive line after this long (default KEEP_ALIVE_MS). */
  keepAliveMs?: number;
}

/** An HTTP server for `routes` that logs one structured line a request. */
export function createApiServer(options: ApiServerOptions): Server {
  const now = options.now ?? (() => performance.now());
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  return createServer((req, res) => {
    const started = now();
    void serve({ routes: options.routes, keepAliveMs }, req, res).then((outcome) => {
      options.log.info('request', {
        method: req.method,
        path: req.url,
        ...outcome,
        ms: Math.round(now() - started),
      });
    });
  });
}

/** How a request ended, for the log line: its status, and the error a stream ended with. */
interface Outcome {
  status: number;
  error?: string;
}

async function serve(
  { routes, keepAliveMs }: { routes: Route[]; keepAliveMs: number },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Outcome> {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  let response: ApiResponse;
  try {
    const body = await readJsonBody(req);
    response = await handleRequest(routes, {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      url: req.url,
      body,
      signal: gone.signal,
    });
  } catch (err) {
    response = errorResponse(err);
  }
  if (isStream(response)) return sendStream(res, response, { gone: gone.signal, keepAliveMs });
  const text = `${JSON.stringify(response.body)}\n`;
  res.writeHead(response.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
  return { status: response.status };
}

/**
 * Sends each event as a JSON line as it comes, waiting for the socket to drain, and a keep-alive
 * line when nothing else was sent for `keepAliveMs`; stops when the caller goes.
 */
async function sendStream(
  res: ServerResponse,
  response: StreamResponse,
  { gone, keepAliveMs }: { gone: AbortSignal; keepAliveMs: number },
): Promise<Outcome> {
  res.writeHead(response.status, { 'content-type': 'application/x-ndjson' });
  res.flushHeaders();
  const outcome: Outcome = { status: response.status };
  const keepAlive = startKeepAlive(res, keepAliveMs);
  try {
    for await (const event of response.events) {
      if (gone.aborted) break;
      keepAlive.wrote();
      if (!res.write(`${JSON.stringify(event)}\n`)) await once(res, 'drain', { signal: gone });
    }
  } catch (err) {
    outcome.error = gone.aborted ? 'client gone' : asBerthError(err).code;
    if (!gone.aborted) res.write(`${JSON.stringify(errorBody(err))}\n`);
  } finally {
    keepAlive.stop();
  }
  if (gone.aborted) outcome.error ??= 'client gone';
  res.end();
  return outcome;
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw invalidBody(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw invalidBody(`request body is not JSON: ${(err as Error).message}`);
  }
}

function invalidBody(message: string): BerthError {
  return new BerthError({ code: 'ERR_API_BAD_REQUEST', category: 'InvalidArgument', message });
}
