// The image a container runs: from the store, a built-in base image (busybox is made locally
// from busybox-static, no network), or pulled from its registry.
import {
  type ContentStore,
  type CredentialStore,
  ensureBaseImage,
  type ImageRecord,
  type ImageStore,
  localHost,
  parseReference,
  pullImage,
} from '../image/index.ts';

/** When to contact a registry: only for an image not in the store (docker's default), or never. */
export type PullPolicy = 'missing' | 'never';

export interface ImageSourceOptions {
  content: ContentStore;
  images: ImageStore;
  pull?: PullPolicy;
  credentials?: CredentialStore;
  insecureRegistries?: string[];
  timeoutMs?: number;
  /** Progress lines (building busybox, pulling). */
  onLine?: (line: string) => void;
}

/** Finds, builds or pulls the image `ref`; ERR_IMAGE_NOT_FOUND when it is absent and pulling is off. */
export async function resolveRunImage(ref: string, o: ImageSourceOptions): Promise<ImageRecord> {
  const found = await o.images.find(ref);
  if (found) return found;
  const onLine = o.onLine ?? (() => {});
  const base = await ensureBaseImage(ref, { content: o.content, images: o.images, host: localHost, onLine });
  if (base) return base;
  if (o.pull === 'never') return o.images.get(ref);
  const reference = parseReference(ref);
  onLine(`pulling ${ref}`);
  return pullImage({
    reference,
    content: o.content,
    images: o.images,
    credentials: await o.credentials?.get(reference.registry),
    insecureRegistries: o.insecureRegistries,
    timeoutMs: o.timeoutMs,
  });
}
