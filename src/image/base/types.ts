import type { ContentStore } from '../content/index.ts';
import type { ImageStore } from '../store/index.ts';
import type { BaseHost } from './host.ts';

/** What building a base image needs: the stores it writes to and the host it runs tools on. */
export interface BaseImageDeps {
  content: ContentStore;
  images: ImageStore;
  host: BaseHost;
  /** Progress lines for the user. */
  onLine?: (line: string) => void;
}
