import { formatReference, type ImageReference, parseReference } from '../reference/index.ts';
import type { ImageRecord } from '../store/index.ts';
import { BUSYBOX_IMAGE, buildBusyboxImage } from './busybox.ts';
import { buildDebianImage, DEBIAN_IMAGE } from './debian.ts';
import type { BaseImageDeps } from './types.ts';

/** The images Berth can make without a network, by the name they are stored under. */
export const BUILT_IN_BASE_IMAGES: Record<string, 'busybox' | 'debian'> = {
  [BUSYBOX_IMAGE]: 'busybox',
  [DEBIAN_IMAGE]: 'debian',
};

/** The built-in base image a reference names, if any (`busybox` → busybox, `debian:bookworm` → debian). */
export function builtInBaseImage(ref: string | ImageReference): 'busybox' | 'debian' | undefined {
  const parsed = typeof ref === 'string' ? parseReference(ref) : ref;
  if (parsed.digest) return undefined;
  return BUILT_IN_BASE_IMAGES[formatReference(parsed)];
}

/**
 * For a built-in base image name: the stored image, building busybox on first use (seconds).
 * debian is built only with `allowSlow` (debootstrap takes minutes). Undefined for other names,
 * or for debian when it is absent and slow builds are not allowed: the caller pulls as usual.
 */
export async function ensureBaseImage(
  ref: string | ImageReference,
  deps: BaseImageDeps,
  options: { allowSlow?: boolean } = {},
): Promise<ImageRecord | undefined> {
  const kind = builtInBaseImage(ref);
  if (!kind) return undefined;
  const existing = await deps.images.find(kind === 'busybox' ? BUSYBOX_IMAGE : DEBIAN_IMAGE);
  if (existing) return existing;
  if (kind === 'busybox') return buildBusyboxImage(deps);
  return options.allowSlow ? buildDebianImage(deps) : undefined;
}
