// How long the client waits for a byte from berthd before it calls the daemon stuck. berthd
// writes a keep-alive line into a stream that is quiet for 5 s (src/api/keep-alive.ts), so a
// healthy daemon never stays silent this long, however slow the registry behind it.
import { BerthError } from '../core/index.ts';

/** The default idle limit: six keep-alive intervals. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** $BERTH_CLIENT_IDLE_TIMEOUT (seconds, > 0) in milliseconds, or undefined when unset. */
export function idleTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.BERTH_CLIENT_IDLE_TIMEOUT;
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || !/^\s*[0-9.]+\s*$/.test(text)) {
    throw new BerthError({
      code: 'ERR_CLIENT_IDLE_TIMEOUT_INVALID',
      category: 'InvalidArgument',
      message: `BERTH_CLIENT_IDLE_TIMEOUT '${text}' is not a number of seconds greater than 0`,
      hint: 'set it to seconds like 30 or 2.5, or unset it for the default (30)',
    });
  }
  return Math.round(seconds * 1000);
}

/** berthd sent nothing, not even a keep-alive line, for `idleMs`: it hangs (stopped, deadlocked). */
export function daemonUnresponsive(what: string, idleMs: number, hint?: string): BerthError {
  return new BerthError({
    code: 'ERR_CLIENT_DAEMON_UNRESPONSIVE',
    category: 'Unavailable',
    message: `${what}: berthd stopped answering (nothing for ${idleMs / 1000} s)`,
    hint:
      hint ??
      'berthd may be stopped or stuck: check its log or restart it (BERTH_CLIENT_IDLE_TIMEOUT sets this limit), or run the command with --no-daemon',
  });
}
