import type { Route } from '../../router.ts';

/** GET /v1/_ping: answers while the daemon is up, for health checks. */
export const pingRoute: Route = {
  method: 'GET',
  path: '/v1/_ping',
  handle: async () => ({ status: 200, body: { ok: true } }),
};
