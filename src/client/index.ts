// The typed client of berthd's REST API (docs/reference/api.md), used by cli/ and web/.
// Cheap to load: node:http and core only, so a CLI talking to the daemon starts fast.
export type { BerthdClientOptions, DaemonVersion, PullCallbacks, PullRequest } from './berthd.ts';
/** A client of berthd over its unix socket: probe/version/ping, pullImage with streamed progress. */
export { BerthdClient } from './berthd.ts';
export type { DaemonHost } from './host.ts';
/** Resolves berthd's socket from --host, $BERTH_HOST or $BERTH_RUN_DIR. */
export { daemonHost } from './host.ts';
/** The idle limit (30 s) and $BERTH_CLIENT_IDLE_TIMEOUT (seconds) that overrides it. */
export { DEFAULT_IDLE_TIMEOUT_MS, idleTimeoutFromEnv } from './idle.ts';
/** Parses NDJSON answers; a non-JSON line or a cut-short stream is an error. */
export { parseJsonLines } from './ndjson.ts';
