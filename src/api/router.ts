import { BerthError } from '../core/index.ts';

/** What a route sees of a request. */
export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** Aborted when the caller goes away before the answer is complete. */
  signal: AbortSignal;
}

/** A route's answer: a status and a JSON body. */
export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * A streamed answer: each event is sent as one JSON line (application/x-ndjson) as it comes.
 * Once the stream has started, a failure is sent as a last `{"error": …}` line (as Docker's
 * /images/create does): the status line is already on the wire.
 */
export interface StreamResponse {
  status: number;
  events: AsyncIterable<unknown>;
}

export type ApiResponse = JsonResponse | StreamResponse;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handle(request: ApiRequest): Promise<ApiResponse>;
}

/** True when a route answered with a stream of events. */
export function isStream(response: ApiResponse): response is StreamResponse {
  return 'events' in response;
}

/** Finds the route for a request; unknown paths and wrong methods are errors a client can act on. */
export function matchRoute(routes: Route[], method: string, path: string): Route {
  const onPath = routes.filter((r) => r.path === path);
  const route = onPath.find((r) => r.method === method);
  if (route) return route;
  if (onPath.length > 0) {
    throw new BerthError({
      code: 'ERR_API_METHOD_NOT_ALLOWED',
      category: 'InvalidArgument',
      message: `${method} is not allowed on ${path}`,
      hint: `use ${onPath.map((r) => r.method).join(' or ')}`,
    });
  }
  throw new BerthError({
    code: 'ERR_API_NOT_FOUND',
    category: 'NotFound',
    message: `no API endpoint ${path}`,
    hint: 'the endpoints are listed in docs/reference/api.md',
  });
}
