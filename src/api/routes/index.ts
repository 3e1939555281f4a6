import type { Route } from '../router.ts';
import { pingRoute } from './system/ping.ts';
import { versionRoute } from './system/version.ts';

/** Every API route the daemon serves. */
export const routes: Route[] = [pingRoute, versionRoute];
