import type { Socket } from 'node:net';
import { type FrameReader, frame } from '../../core/resident/index.ts';
import { launcherMessage, type StartLauncher } from '../container/launcher.ts';

/** Launches through the calling front-end: it executes the plan in its own process and relays
 * the executor's messages (pid, ready, error, exit) on the same connection. Signals reach the
 * container through the front-end, which is the monitor, so there is nothing to forward here. */
export function frontendLauncher(conn: Socket, reader: FrameReader): StartLauncher {
  return (request) => {
    // If this process dies mid-call, the front-end deletes the container with these arguments.
    const undo = request.container
      ? ['--root', request.container.root, 'delete', '--force', request.container.id]
      : [];
    conn.write(frame(['plan', String(request.passFds), String(undo.length), ...undo, request.plan]));
    return {
      next: async () => launcherMessage(await reader.next()),
      send: (fields) => conn.write(frame(fields)),
      close: () => {},
      forwardSignals: () => () => {},
    };
  };
}
