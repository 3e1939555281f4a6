import type { Credentials } from '../../image/index.ts';
import { ContentStore, CredentialStore, ImageStore } from '../../image/index.ts';
import type { CommandContext } from '../command.ts';
import { authFileOf, registrySettings, stateDirOf } from './image-options.ts';

export {
  REGISTRY_OPTIONS,
  requirePositional,
  STORE_HELP,
  STORE_OPTIONS,
  stateDirOf,
  stringValue,
  usage,
} from './image-options.ts';

/** The stores and registry settings an image command works with, from flags and environment. */
export interface ImageContext {
  content: ContentStore;
  images: ImageStore;
  credentials: CredentialStore;
  insecureRegistries: string[];
  timeoutMs?: number;
}

export function imageContext(ctx: CommandContext, env: NodeJS.ProcessEnv = ctx.io.env): ImageContext {
  const stateDir = stateDirOf(ctx, env);
  return {
    content: ContentStore.forStateDir(stateDir),
    images: ImageStore.forStateDir(stateDir),
    credentials: new CredentialStore(authFileOf(ctx, env)),
    ...registrySettings(ctx, env),
  };
}

/** How pulls and pushes reach `registry`: its stored credentials, the insecure list, the timeout. */
export async function registryAccess(
  image: ImageContext,
  registry: string,
): Promise<{
  credentials: Credentials | undefined;
  insecureRegistries: string[];
  timeoutMs: number | undefined;
}> {
  return {
    credentials: await image.credentials.get(registry),
    insecureRegistries: image.insecureRegistries,
    timeoutMs: image.timeoutMs,
  };
}
