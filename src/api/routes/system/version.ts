import { readFile } from 'node:fs/promises';
import type { Route } from '../../router.ts';

/** GET /v1/version: the daemon's version and platform. */
export const versionRoute: Route = {
  method: 'GET',
  path: '/v1/version',
  async handle() {
    const pkg = JSON.parse(await readFile(new URL('../../../../package.json', import.meta.url), 'utf8'));
    return {
      status: 200,
      body: {
        version: String(pkg.version),
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
      },
    };
  },
};
