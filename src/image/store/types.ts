import type { Digest } from '../content/index.ts';
import type { Descriptor, Platform } from '../manifest/index.ts';

/** Where an image's blobs came from; a push to another repository of that registry can mount them. */
export interface ImageSource {
  registry: string;
  repository: string;
}

/** An image in the store: its names, the platform manifest it resolved to, and the blobs it uses. */
export interface ImageRecord {
  /** The config digest: Docker's image ID. */
  id: Digest;
  /** Full tagged names pointing at this image: `docker.io/library/busybox:latest`. */
  names: string[];
  /** `repository@digest` names: `docker.io/library/busybox@sha256:…`. */
  repoDigests: string[];
  /** The platform-specific manifest (its bytes are in the content store). */
  manifest: Descriptor;
  /** The multi-platform index the manifest was selected from, when there was one. */
  index?: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  platform: Platform;
  /** Bytes of config and layers as stored (compressed). */
  size: number;
  /** Creation time from the image config. */
  created?: string;
  sources: ImageSource[];
  /** When this image entered the store. */
  added: string;
}

export interface RemoveOptions {
  /** Remove an image by ID even when several names point to it. */
  force?: boolean;
  /** The running container that uses image `id`, if any: such an image is not deleted (untagging one of several names is fine). */
  usedBy?: (id: Digest) => string | undefined;
}

/** What `remove` did, in Docker's words: names untagged, images deleted. */
export interface RemoveResult {
  untagged: string[];
  deleted: Digest[];
  /** Blobs the deleted images used (candidates for garbage collection). */
  blobs: Digest[];
}
