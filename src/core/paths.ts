/** Where Berth keeps its state on the host; every path can be overridden. */
export interface BerthPaths {
  /** Persistent state: database, content store, snapshots, volumes, VM disks. */
  stateDir: string;
  /** Runtime state: API socket, per-instance state, monitor sockets. */
  runDir: string;
  /** runc-compatible runtime state (`--root`). */
  runtimeRoot: string;
}

/** Default host layout (DESIGN.md), overridable with BERTH_STATE_DIR / BERTH_RUN_DIR. */
export function defaultPaths(env: NodeJS.ProcessEnv = process.env): BerthPaths {
  return {
    stateDir: env.BERTH_STATE_DIR ?? '/var/lib/berth',
    runDir: env.BERTH_RUN_DIR ?? '/run/berth',
    runtimeRoot: env.BERTH_RUNTIME_ROOT ?? '/run/berth-runtime',
  };
}
