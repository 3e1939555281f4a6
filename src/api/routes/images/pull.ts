import { resolve } from 'node:path';
import { BerthError } from '../../../core/index.ts';
import {
  ContentStore,
  type Credentials,
  type ImageRecord,
  ImageStore,
  type PullOptions,
  parsePlatform,
  parseReference,
  pullImage,
  type TransferProgress,
} from '../../../image/index.ts';
import type { ApiContext } from '../../context.ts';
import type { ApiRequest, Route } from '../../router.ts';
import { eventStream } from '../../stream.ts';

/** One line of the pull stream. */
export type PullEvent = { progress: TransferProgress } | { image: ImageRecord };

/**
 * POST /v1/images/pull: pulls into the daemon's store, streaming `{"progress": …}` lines and a
 * last `{"image": …}` (or `{"error": …}`). The pull is cancelled when the caller disconnects.
 */
export function imagePullRoute(context: ApiContext): Route {
  return {
    method: 'POST',
    path: '/v1/images/pull',
    async handle(request) {
      const options = pullOptions(request, context.stateDir);
      const events = eventStream<PullEvent, ImageRecord>(
        (emit) => pullImage({ ...options, onProgress: throttled((progress) => emit({ progress })) }),
        (image) => ({ image }),
      );
      return { status: 200, events };
    },
  };
}

// A blob's byte counts are sent at most this often: a line per received chunk would cost the
// daemon more CPU (JSON and a write each) than the download; bars redraw ten times a second.
const PROGRESS_INTERVAL_MS = 100;

/** Passes every state change on, and a blob's `downloading` counts at most every PROGRESS_INTERVAL_MS. */
function throttled(emit: (event: TransferProgress) => void): (event: TransferProgress) => void {
  const last = new Map<string, number>();
  return (event) => {
    if (event.status === 'downloading') {
      const now = performance.now();
      if (now - (last.get(event.digest) ?? Number.NEGATIVE_INFINITY) < PROGRESS_INTERVAL_MS) return;
      last.set(event.digest, now);
    }
    emit(event);
  };
}

/** Checks the body before the stream starts, so a bad request answers with its own status. */
function pullOptions(request: ApiRequest, stateDir: string): PullOptions {
  const body = request.body;
  if (typeof body !== 'object' || body === null) throw badField('the body', 'a JSON object');
  const b = body as Record<string, unknown>;
  // Checked first: a caller that expects another store pulls elsewhere, whatever else it sent.
  if (b.stateDir !== undefined) checkStateDir(b.stateDir, stateDir);
  if (typeof b.reference !== 'string') throw badField('reference', 'a string');
  const options: PullOptions = {
    reference: parseReference(b.reference),
    content: ContentStore.forStateDir(stateDir),
    images: ImageStore.forStateDir(stateDir),
    signal: request.signal,
  };
  if (b.platform !== undefined) {
    if (typeof b.platform !== 'string') throw badField('platform', 'a string like linux/amd64');
    options.platform = parsePlatform(b.platform);
  }
  if (b.insecureRegistries !== undefined) {
    const list = b.insecureRegistries;
    if (!Array.isArray(list) || !list.every((r) => typeof r === 'string')) {
      throw badField('insecureRegistries', 'an array of strings');
    }
    options.insecureRegistries = list;
  }
  if (b.timeoutMs !== undefined) {
    if (typeof b.timeoutMs !== 'number' || !(b.timeoutMs > 0))
      throw badField('timeoutMs', 'a positive number');
    options.timeoutMs = b.timeoutMs;
  }
  if (b.credentials !== undefined) options.credentials = credentialsOf(b.credentials);
  return options;
}

/** The caller names the store it expects (the CLI's --state-dir); another one is a conflict, not a pull. */
function checkStateDir(expected: unknown, served: string): void {
  if (typeof expected !== 'string' || !expected.startsWith('/')) {
    throw badField('stateDir', 'an absolute path');
  }
  if (resolve(expected) === resolve(served)) return;
  throw new BerthError({
    code: 'ERR_API_STATE_DIR_MISMATCH',
    category: 'Conflict',
    message: `berthd serves ${resolve(served)}, not ${resolve(expected)}`,
    hint: 'point --host at the daemon of that state dir, or pull with --no-daemon',
  });
}

function credentialsOf(value: unknown): Credentials {
  const c = value as Partial<Credentials> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.username !== 'string' ||
    typeof c.password !== 'string'
  ) {
    throw badField('credentials', '{"username": string, "password": string}');
  }
  return { username: c.username, password: c.password };
}

function badField(field: string, expected: string): BerthError {
  return new BerthError({
    code: 'ERR_API_BAD_REQUEST',
    category: 'InvalidArgument',
    message: `pull request: ${field} must be ${expected}`,
    hint: 'the request body is described in docs/reference/api.md',
  });
}
