import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { asBerthError, BerthError, type Logger } from '../core/index.ts';
import { type ApiRequest, type ApiResponse, matchRoute, type Route } from './router.ts';
import { httpStatusFor } from './status.ts';

const MAX_BODY_BYTES = 1 << 20;

/** Answers one request without a socket: the same path a real request takes (fastify's `inject`). */
export async function handleRequest(
  routes: Route[],
  request: Omit<ApiRequest, 'query'> & { url?: string },
): Promise<ApiResponse> {
  const url = new URL(request.url ?? request.path, 'http://berthd');
  try {
    const route = matchRoute(routes, request.method, url.pathname);
    return await route.handle({ ...request, path: url.pathname, query: url.searchParams });
  } catch (err) {
    const error = asBerthError(err);
    return { status: httpStatusFor(error.category), body: { error: error.toJSON() } };
  }
}

/** An HTTP server for `routes` that logs one structured line a request. */
export function createApiServer(options: { routes: Route[]; log: Logger; now?: () => number }): Server {
  const now = options.now ?? (() => performance.now());
  return createServer((req, res) => {
    const started = now();
    void serve(options.routes, req, res).then((status) => {
      options.log.info('request', {
        method: req.method,
        path: req.url,
        status,
        ms: Math.round(now() - started),
      });
    });
  });
}

async function serve(routes: Route[], req: IncomingMessage, res: ServerResponse): Promise<number> {
  let response: ApiResponse;
  try {
    const body = await readJsonBody(req);
    response = await handleRequest(routes, {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      url: req.url,
      body,
    });
  } catch (err) {
    const error = asBerthError(err);
    response = { status: httpStatusFor(error.category), body: { error: error.toJSON() } };
  }
  const text = `${JSON.stringify(response.body)}\n`;
  res.writeHead(response.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
  return response.status;
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
