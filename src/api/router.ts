import { BerthError } from '../core/index.ts';

/** What a route sees of a request. */
export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/** A route's answer: a status and a JSON body. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handle(request: ApiRequest): Promise<ApiResponse>;
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
