// What a build needs from outside the image domain, and what it reports while it runs.
import type { Snapshotter } from '../../storage/index.ts';
import type { ContentStore } from '../content/index.ts';
import type { ImageRecord, ImageStore } from '../store/index.ts';
import type { BuildCache } from './cache.ts';
import type { BuildSyscalls } from './syscalls.ts';

/** The numeric identity a RUN step's process gets (resolved from the image's /etc/passwd). */
export interface StepUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export interface StepRunOptions {
  /** The step's root filesystem, already mounted (writable). */
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  user: StepUser;
  /** `host`: the host's network namespace and its /etc/resolv.conf (so apt-get works). */
  network: 'host';
  /** Receives the process's stdout and stderr as they come. */
  onOutput(chunk: Buffer): void;
}

/**
 * Runs one RUN step's process in a container on the given root filesystem. The image domain
 * does not import the runtime: the CLI (or the engine) implements this with it.
 */
export interface StepRunner {
  run(options: StepRunOptions): Promise<{ exitCode: number }>;
}

/** Progress of a build, in the order things happen. */
export type BuildEvent =
  | { type: 'step'; step: number; total: number; text: string }
  | { type: 'cached'; step: number }
  | { type: 'output'; chunk: Buffer }
  | { type: 'layer'; step: number; digest: string; size: number }
  | { type: 'done'; image: ImageRecord };

export interface BuildRequest {
  /** The build context directory. */
  context: string;
  /** Path of the Containerfile (default: Containerfile, else Dockerfile, in the context). */
  file?: string;
  /** Names for the image (`-t`); none leaves it reachable by ID only. */
  tags?: string[];
  buildArgs?: Record<string, string>;
  /** Build up to this stage (name or index) instead of the last one. */
  target?: string;
  noCache?: boolean;
  onEvent?: (event: BuildEvent) => void;
}

export interface BuildDeps {
  content: ContentStore;
  images: ImageStore;
  snapshotter: Snapshotter;
  runner: StepRunner;
  cache: BuildCache;
  /** Where step root filesystems are mounted (same filesystem as snapshots). */
  workRoot: string;
  /** Finds (or fetches) the image a FROM or COPY --from names. */
  resolveImage(ref: string): Promise<ImageRecord>;
  syscalls?: BuildSyscalls;
}

export interface BuildResult {
  image: ImageRecord;
  /** Steps run and steps taken from the cache. */
  steps: number;
  cached: number;
}
