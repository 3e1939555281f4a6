// The runtime planner: berth-runtime's verbs served to the native front-end from one resident
// Node process. Entry point: main.ts (started by native/frontend.c).
export type { Freshness } from './freshness.ts';
/** Watches source trees so a planner never serves calls with code older than what is on disk. */
export { watchSources } from './freshness.ts';
/** The StartLauncher that has the calling front-end execute launch plans. */
export { frontendLauncher } from './frontend-launcher.ts';
export type { Planner, PlannerOptions } from './server.ts';
/** Listens on the planner socket and serves calls until idle, stale or told to stop. */
export { PLANNER_PROTOCOL, startPlanner } from './server.ts';
