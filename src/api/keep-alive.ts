// A stream that is quiet for a while (a slow registry, a big layer) still sends a line now and
// then, so a client can tell a daemon that works from one that hangs (SIGSTOP, a deadlock):
// it gives up after its own idle limit, well above this interval (docs/reference/api.md).
import type { ServerResponse } from 'node:http';

/** The line berthd writes into an NDJSON stream after this long without another line. */
export const KEEP_ALIVE_MS = 5000;

/** The keep-alive line: clients skip it (and any line they do not know). */
export const KEEP_ALIVE_LINE = `${JSON.stringify({ keepalive: true })}\n`;

/** Restarts the quiet period after each line written; stopped when the stream ends. */
export interface KeepAlive {
  wrote(): void;
  stop(): void;
}

/** The part of a ServerResponse the keep-alive uses. */
export type KeepAliveTarget = Pick<
  ServerResponse,
  'write' | 'once' | 'off' | 'writableNeedDrain' | 'writableEnded' | 'destroyed'
>;

/**
 * Writes KEEP_ALIVE_LINE to `res` whenever `intervalMs` pass without a line. Stops by itself when
 * the response closes (the caller went away), so no timer outlives its connection. A response
 * waiting for the socket to drain gets nothing more: the peer is not reading anyway.
 */
export function startKeepAlive(res: KeepAliveTarget, intervalMs: number): KeepAlive {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(beat, intervalMs);
  };
  const beat = () => {
    if (!res.writableNeedDrain && !res.writableEnded && !res.destroyed) res.write(KEEP_ALIVE_LINE);
    arm();
  };
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    res.off('close', stop);
  };
  res.once('close', stop);
  arm();
  return { wrote: arm, stop };
}
