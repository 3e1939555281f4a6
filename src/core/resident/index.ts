// Resident processes behind native front-ends (berth-runtime's planner, berth's CLI host): the
// socket server, its frames, the caller checks and the stale-code watch. Not in core/index.ts:
// the peer checks load koffi, which a short-lived command should not pay for.

/** native/channel.h frames: building one, and reading them off a socket. */
export { FrameReader, frame } from './frames.ts';
export type { Freshness } from './freshness.ts';
/** Watches source trees so a resident process never serves calls with code older than what is on disk. */
export { watchSources } from './freshness.ts';
/** The resident process's "only one of me" lock: inherited from the front-end, or taken here (flock, no waiting). */
export { holdLock } from './peer.ts';
export type { Resident, ResidentOptions, ResidentProtocol, ResidentStart } from './server.ts';
/** Listens on a private socket and serves a front-end's calls until idle, stale or told to stop. */
export { parseEnv, residentLog, residentStart, serveUntilRetired, startResident } from './server.ts';
