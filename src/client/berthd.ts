import { type IncomingMessage, type RequestOptions, request } from 'node:http';
import { BerthError } from '../core/index.ts';
// Types only: erased at run time, so this client loads none of the image module's code.
import type { ImageRecord, TransferProgress } from '../image/index.ts';
import { DEFAULT_IDLE_TIMEOUT_MS, daemonUnresponsive } from './idle.ts';
import { parseJsonLines, streamCutShort } from './ndjson.ts';
import { badResponse, errorFromWire } from './wire.ts';

/** What GET /v1/version answers. */
export interface DaemonVersion {
  version: string;
  apiVersion: string;
  node: string;
  platform: string;
  /** The state directory whose stores the daemon serves. */
  stateDir: string;
}

/** The body of POST /v1/images/pull. */
export interface PullRequest {
  reference: string;
  /** The state dir the caller expects the daemon to serve: another one is refused (409, ERR_API_STATE_DIR_MISMATCH) before the pull starts. */
  stateDir?: string;
  /** `os/arch[/variant]`. */
  platform?: string;
  insecureRegistries?: string[];
  timeoutMs?: number;
  credentials?: { username: string; password: string };
}

export interface PullCallbacks {
  onProgress?: (event: TransferProgress) => void;
  /** The daemon accepted the pull (status 200): its stream follows. */
  onStarted?: () => void;
  /** Closes the connection: the daemon cancels the pull. */
  signal?: AbortSignal;
}

// A pull cut short keeps what it downloaded (docs/design/daemon-pull.md, "A killed daemon").
const PULL_CUT_SHORT_HINT =
  'the layers downloaded so far are kept: start berthd again and pull again to resume, or pull with --no-daemon';
const PULL_UNRESPONSIVE_HINT =
  'the layers downloaded so far are kept: check berthd (its log; a stopped process resumes with kill -CONT) or restart it and pull again to resume, or pull with --no-daemon';

// Errors that mean "no daemon here" rather than "the daemon failed".
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EPERM']);

/** Where berthd listens, and how long it may stay silent. */
export interface BerthdClientOptions {
  socketPath: string;
  /** A request fails with ERR_CLIENT_DAEMON_UNRESPONSIVE when no byte arrives for this long (default 30 s). */
  idleTimeoutMs?: number;
}

/** A typed client of berthd's REST API over its unix socket. */
export class BerthdClient {
  readonly socketPath: string;
  readonly idleTimeoutMs: number;

  constructor(options: BerthdClientOptions) {
    this.socketPath = options.socketPath;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  }

  /** The daemon's version, or undefined when no daemon answers on the socket (no socket, refused, no permission). */
  async probe(): Promise<DaemonVersion | undefined> {
    try {
      return await this.version();
    } catch (err) {
      if (err instanceof BerthError && err.code === 'ERR_CLIENT_DAEMON_UNREACHABLE') return undefined;
      throw err;
    }
  }

  /** GET /v1/version. */
  async version(): Promise<DaemonVersion> {
    const body = (await this.json('GET', '/v1/version')) as Partial<DaemonVersion>;
    if (typeof body?.stateDir !== 'string' || typeof body.version !== 'string') {
      throw badResponse('GET /v1/version', JSON.stringify(body));
    }
    return body as DaemonVersion;
  }

  /** GET /v1/_ping: resolves while the daemon is up. */
  async ping(): Promise<void> {
    await this.json('GET', '/v1/_ping');
  }

  /** POST /v1/images/pull: pulls into the daemon's store, reporting progress; a daemon error is rethrown as its BerthError. */
  async pullImage(pull: PullRequest, callbacks: PullCallbacks = {}): Promise<ImageRecord> {
    const what = `pull ${pull.reference} through berthd`;
    const res = await this.send({
      method: 'POST',
      path: '/v1/images/pull',
      body: pull,
      signal: callbacks.signal,
      what,
      cutShortHint: PULL_CUT_SHORT_HINT,
      unresponsiveHint: PULL_UNRESPONSIVE_HINT,
    });
    if (res.statusCode !== 200) throw await failure(res, what);
    callbacks.onStarted?.();
    let image: ImageRecord | undefined;
    try {
      for await (const line of parseJsonLines(res, what)) {
        if (typeof line !== 'object' || line === null || Array.isArray(line)) {
          throw badResponse(what, `a line that is not an object: ${JSON.stringify(line)}`);
        }
        const event = line as { progress?: TransferProgress; image?: ImageRecord; error?: unknown };
        if (event.progress) callbacks.onProgress?.(event.progress);
        else if (event.image) image = event.image;
        else if (event.error) throw errorFromWire(event.error, what);
        // Anything else ({"keepalive": true}, a line a newer daemon adds) is skipped (api.md).
      }
    } catch (err) {
      if (err instanceof BerthError) throw err;
      callbacks.signal?.throwIfAborted();
      throw streamCutShort(what, { cause: err, hint: PULL_CUT_SHORT_HINT });
    }
    if (!image) throw streamCutShort(what, { hint: PULL_CUT_SHORT_HINT });
    return image;
  }

  private async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const what = `${method} ${path}`;
    const res = await this.send({ method, path, body });
    if (res.statusCode !== 200) throw await failure(res, what);
    const text = await readText(res);
    try {
      return JSON.parse(text);
    } catch {
      throw badResponse(what, text);
    }
  }

  private send(req: {
    method: string;
    path: string;
    body?: unknown;
    signal?: AbortSignal;
    /** Names the operation in errors (default `METHOD path`). */
    what?: string;
    cutShortHint?: string;
    unresponsiveHint?: string;
  }): Promise<IncomingMessage> {
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const what = req.what ?? `${req.method} ${req.path}`;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { host: 'berthd' };
      if (payload !== undefined) headers['content-type'] = 'application/json';
      // No TLS here: an empty server name (passed on to the agent, which node's types leave
      // out) spares the agent deriving one from the host header, whose IPv6 pattern costs
      // milliseconds to compile on a CLI's first request.
      const options: RequestOptions & { servername: string } = {
        socketPath: this.socketPath,
        method: req.method,
        path: req.path,
        headers,
        servername: '',
        signal: req.signal,
      };
      const r = request(options);
      let response: IncomingMessage | undefined;
      r.once('response', (res: IncomingMessage) => {
        response = res;
        resolve(res);
      });
      // The socket's idle timer counts every byte, keep-alive lines included, before and
      // during the answer: a daemon that accepted the connection and then hangs is caught too.
      r.setTimeout(this.idleTimeoutMs, () => {
        const err = daemonUnresponsive(what, this.idleTimeoutMs, req.unresponsiveHint);
        // The reader of the answer (if it began) fails with this error, not a broken connection.
        response?.destroy(err);
        r.destroy(err);
      });
      // `on`, not `once`: a request destroyed after its answer began may report another error.
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (req.signal?.aborted) reject(req.signal.reason);
        else if (err instanceof BerthError) reject(err);
        else if (err.code && UNREACHABLE.has(err.code)) reject(unreachable(this.socketPath, err));
        else reject(streamCutShort(what, { cause: err, hint: req.cutShortHint }));
      });
      r.end(payload);
    });
  }
}

async function readText(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk;
  return text;
}

/** A non-200 answer: the daemon's `{"error": …}` as its BerthError. */
async function failure(res: IncomingMessage, what: string): Promise<BerthError> {
  const text = await readText(res);
  try {
    return errorFromWire((JSON.parse(text) as { error?: unknown }).error, what);
  } catch {
    return badResponse(what, `status ${res.statusCode}: ${text}`);
  }
}

// ECONNREFUSED on a unix socket: the file is there but no process listens (berthd stopped
// without removing it: killed, or crashed).
const UNREACHABLE_WHY: Record<string, string> = {
  ECONNREFUSED: ' (the socket is left over: berthd stopped or was killed)',
};

function unreachable(socketPath: string, cause: NodeJS.ErrnoException): BerthError {
  return new BerthError({
    code: 'ERR_CLIENT_DAEMON_UNREACHABLE',
    category: 'Unavailable',
    message: `no berthd answers on ${socketPath}: ${cause.code}${UNREACHABLE_WHY[cause.code ?? ''] ?? ''}`,
    hint: 'start berthd, point --host or BERTH_HOST at its socket, or run the command with --no-daemon',
    cause,
  });
}
