// The planner: a resident process that runs berth-runtime's verbs for the front-end
// (native/frontend.c), so a call does not pay for Node's start-up. docs/design/runtime-planner.md.
import type { Socket } from 'node:net';
import {
  type FrameReader,
  type Freshness,
  frame,
  parseEnv,
  type Resident,
  type ResidentProtocol,
  startResident,
} from '../../core/resident/index.ts';
import { runtimeMain, streamsOutput } from '../cli/main.ts';
import type { RuntimeIo } from '../cli/verb.ts';
import { frontendLauncher } from './frontend-launcher.ts';

export const PLANNER_PROTOCOL = '1';

export interface PlannerOptions {
  socket: string;
  /** An fd holding the planner's flock; closed on retirement so a successor can start. */
  lockFd: number;
  /** Retire after this long without a call. */
  idleMs: number;
  freshness: Freshness;
  log(message: string): void;
}

/** A running planner; `retired` resolves once it stopped taking calls and the last one ended. */
export type Planner = Resident;

/** Listens on `socket` (mode 0600) and serves calls until idle, stale or told to stop. */
export function startPlanner(o: PlannerOptions): Planner {
  return startResident({ ...o, protocol: plannerProtocol(o.log) });
}

interface CallRequest {
  cwd: string;
  env: Record<string, string>;
  argv: string[];
}

/** `request 1 CWD N ENV×N ARGV…` → ack → proceed → (plan and launch messages) → out, err, exit. */
function plannerProtocol(log: (message: string) => void): ResidentProtocol<CallRequest> {
  return {
    version: PLANNER_PROTOCOL,
    parse([cwd = '', count = '', ...rest]) {
      const nenv = Number(count);
      if (!Number.isInteger(nenv)) return undefined;
      return { cwd, env: parseEnv(rest.slice(0, nenv)), argv: rest.slice(nenv) };
    },
    // A streaming call writes as it goes, which the planner's answer-at-the-end cannot.
    accepts: (request) => !streamsOutput(request.argv),
    run: async (request, { conn, reader }) => {
      await runCall(conn, reader, request, log);
    },
  };
}

async function runCall(
  conn: Socket,
  reader: FrameReader,
  request: CallRequest,
  log: (message: string) => void,
): Promise<number> {
  const out: string[] = [];
  const err: string[] = [];
  const io: RuntimeIo = {
    env: request.env,
    cwd: request.cwd,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    launch: frontendLauncher(conn, reader),
  };
  let code = 1;
  try {
    code = await runtimeMain(request.argv, io);
  } catch (error) {
    log(`call ${JSON.stringify(request.argv)} threw: ${(error as Error).stack}`);
    err.push(`berth-runtime: internal error in the runtime planner: ${(error as Error).message}\n`);
  }
  const frames: Buffer[] = [];
  if (out.length) frames.push(frame(['out', Buffer.from(out.join(''))]));
  if (err.length) frames.push(frame(['err', Buffer.from(err.join(''))]));
  frames.push(frame(['exit', String(code)]));
  conn.write(Buffer.concat(frames));
  return code;
}
