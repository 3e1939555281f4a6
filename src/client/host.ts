import { BerthError, defaultPaths } from '../core/index.ts';

/** Where the CLI looks for berthd, and whether the user named it (then a silent fallback would mislead). */
export interface DaemonHost {
  socketPath: string;
  explicit: boolean;
}

/** berthd's socket: `--host unix:///path`, else $BERTH_HOST (like DOCKER_HOST), else $BERTH_RUN_DIR/berthd.sock. */
export function daemonHost(host: string | undefined, env: NodeJS.ProcessEnv = process.env): DaemonHost {
  const named = host ?? (env.BERTH_HOST || undefined);
  if (named === undefined) return { socketPath: `${defaultPaths(env).runDir}/berthd.sock`, explicit: false };
  if (!named.startsWith('unix://') || named.length <= 'unix://'.length) {
    throw new BerthError({
      code: 'ERR_CLIENT_HOST_UNSUPPORTED',
      category: 'InvalidArgument',
      message: `berthd host '${named}' is not supported: only unix:///path/to/berthd.sock is`,
      hint: 'pass --host unix:///run/berth/berthd.sock or set BERTH_HOST to such a URL',
    });
  }
  return { socketPath: named.slice('unix://'.length), explicit: true };
}
