import type { ApiContext } from '../context.ts';
import type { Route } from '../router.ts';
import { imagePullRoute } from './images/pull.ts';
import { pingRoute } from './system/ping.ts';
import { versionRoute } from './system/version.ts';

/** Every API route the daemon serves, bound to its state. */
export function createRoutes(context: ApiContext): Route[] {
  return [pingRoute, versionRoute(context), imagePullRoute(context)];
}
