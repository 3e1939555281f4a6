// The runtime planner: berth-runtime's verbs served to the native front-end from one resident
// Node process. Entry point: main.ts (started by native/frontend.c).
/** The StartLauncher that has the calling front-end execute launch plans. */
export { frontendLauncher } from './frontend-launcher.ts';
export type { Planner, PlannerOptions } from './server.ts';
/** Listens on the planner socket and serves calls until idle, stale or told to stop. */
export { PLANNER_PROTOCOL, startPlanner } from './server.ts';
