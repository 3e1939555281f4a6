import { readFile } from 'node:fs/promises';
import { API_VERSION, type ApiContext } from '../../context.ts';
import type { Route } from '../../router.ts';

/** GET /v1/version: the daemon's version, API version, platform, and the state dir it serves. */
export function versionRoute(context: ApiContext): Route {
  return {
    method: 'GET',
    path: '/v1/version',
    async handle() {
      const pkg = JSON.parse(await readFile(new URL('../../../../package.json', import.meta.url), 'utf8'));
      return {
        status: 200,
        body: {
          version: String(pkg.version),
          apiVersion: API_VERSION,
          node: process.version,
          platform: `${process.platform}/${process.arch}`,
          stateDir: context.stateDir,
        },
      };
    },
  };
}
