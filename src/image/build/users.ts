// USER and --chown names → numeric ids from the image's own passwd/group (src/image/rootfs), with
// the build's error code so the executor can name the Containerfile line.
import { resolveUser as resolveRootfsUser } from '../rootfs/index.ts';
import { buildError } from './errors.ts';
import type { StepUser } from './types.ts';

/** Resolves `user[:group]` (names or numbers) as Docker does; `''` is root. */
export function resolveUser(rootfs: string, spec: string): StepUser {
  const { uid, gid, additionalGids } = resolveRootfsUser(rootfs, spec, ({ what, name, file }) =>
    buildError({
      code: 'ERR_IMAGE_BUILD_USER_NOT_FOUND',
      category: 'NotFound',
      message: `unable to find ${what} '${name}': no matching entry in the image's /etc/${file}`,
      hint: `create the ${what} in an earlier RUN step (e.g. adduser) or use a numeric id`,
    }),
  );
  return { uid, gid, additionalGids };
}
