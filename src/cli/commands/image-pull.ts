// `berth pull`: through berthd when it serves this command's state dir, in this process otherwise.
// The daemon path loads no image-store or registry code (only the reference parser and the
// credentials file reader), so its start-up stays close to `berth version`'s.
import { BerthdClient, daemonHost, idleTimeoutFromEnv, type PullRequest } from '../../client/index.ts';
import { BerthError } from '../../core/index.ts';
import type { ImageRecord } from '../../image/index.ts';
import { familiarName, type ImageReference, parseReference } from '../../image/reference/index.ts';
// The file, not registry/index.ts: the part's index would load the registry client.
import { storedCredentials } from '../../image/registry/stored-credentials.ts';
import type { Command, CommandContext } from '../command.ts';
import {
  authFileOf,
  REGISTRY_OPTIONS,
  registrySettings,
  requirePositional,
  STORE_HELP,
  STORE_OPTIONS,
  stateDirOf,
  stringValue,
} from './image-options.ts';
import { formatBytes, withProgress } from './image-progress.ts';

export const imagePullCommand: Command = {
  name: 'pull',
  summary: 'Pull an image from a registry',
  usage:
    'image pull [-q] [--platform os/arch[/variant]] [--host unix:///PATH] [--no-daemon] NAME[:TAG|@DIGEST]',
  description: [
    'Pulls through berthd when a daemon answers on its socket (--host, BERTH_HOST, default',
    '$BERTH_RUN_DIR/berthd.sock = /run/berth/berthd.sock) and serves the same state directory as',
    'this command (--state-dir, BERTH_STATE_DIR); the CLI sends the credentials stored by',
    "'berth login' for the image's registry. Otherwise the pull runs in this process.",
    "--no-daemon, or a --state-dir other than the daemon's, always pulls in this process;",
    '--debug says which way the pull went. Ctrl-C stops the pull either way. A daemon that sends',
    'nothing for 30 s (BERTH_CLIENT_IDLE_TIMEOUT, in seconds) is given up on: berthd sends a',
    'keep-alive line every 5 s of a quiet pull, so it is stopped or stuck.',
  ].join('\n'),
  options: {
    ...STORE_OPTIONS,
    ...REGISTRY_OPTIONS,
    platform: { type: 'string' },
    host: { type: 'string' },
    'no-daemon': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  optionHelp: {
    ...STORE_HELP,
    platform: 'platform to select from a multi-arch image (default linux/amd64)',
    host: 'berthd socket as unix:///path (default BERTH_HOST, or /run/berth/berthd.sock)',
    'no-daemon': 'pull in this process even when berthd is running',
    quiet: 'no progress; print only the name of the pulled image',
  },
  hosted: true,
  async run(ctx: CommandContext) {
    const reference = parseReference(requirePositional(ctx, 0, 'image name', 'pull'));
    const record =
      (ctx.values['no-daemon'] === true ? undefined : await pullThroughDaemon(ctx, reference)) ??
      (await pullInProcess(ctx, reference));
    const quiet = ctx.values.quiet === true;
    return {
      data: record,
      render: (r: ImageRecord) =>
        quiet
          ? `${familiarName(reference)}\n`
          : `Pulled ${familiarName(reference)}\nDigest: ${r.repoDigests[0]?.split('@')[1] ?? r.manifest.digest}\nID: ${r.id.slice(7, 19)} (${r.platform.os}/${r.platform.architecture}, ${formatBytes(r.size)})\n`,
    };
  },
};

/**
 * The pull through berthd, or undefined when it must run in this process: no daemon answers on
 * the default socket, or the daemon serves another state dir. One request: the body names the
 * state dir this command expects and the daemon refuses another before it starts.
 */
async function pullThroughDaemon(
  ctx: CommandContext,
  reference: ImageReference,
): Promise<ImageRecord | undefined> {
  const host = daemonHost(stringValue(ctx, 'host'), ctx.io.env);
  const stateDir = stateDirOf(ctx);
  const settings = registrySettings(ctx);
  const credentials = storedCredentials(reference.registry, authFileOf(ctx));
  const platform = stringValue(ctx, 'platform');
  const idleTimeoutMs = idleTimeoutFromEnv(ctx.io.env);
  const daemon = new BerthdClient({
    socketPath: host.socketPath,
    ...(idleTimeoutMs ? { idleTimeoutMs } : {}),
  });
  const body: PullRequest = {
    reference: requirePositional(ctx, 0, 'image name', 'pull'),
    stateDir,
    insecureRegistries: settings.insecureRegistries,
    ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
    ...(credentials ? { credentials } : {}),
    ...(platform ? { platform } : {}),
  };
  const onStarted = () => debug(ctx, `pulling through berthd on ${host.socketPath} (state dir ${stateDir})`);
  try {
    return await withProgress(ctx, (onProgress) =>
      daemon.pullImage(body, { onProgress, onStarted, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) }),
    );
  } catch (err) {
    const code = err instanceof BerthError ? err.code : undefined;
    // A daemon the user named must answer; the default socket may simply have no daemon.
    if (code === 'ERR_CLIENT_DAEMON_UNREACHABLE' && !host.explicit) {
      debug(ctx, `no berthd answers on ${host.socketPath}: pulling in this process`);
      return undefined;
    }
    if (code === 'ERR_API_STATE_DIR_MISMATCH') {
      debug(ctx, `berthd on ${host.socketPath}: ${(err as BerthError).message}: pulling in this process`);
      return undefined;
    }
    throw err;
  }
}

async function pullInProcess(ctx: CommandContext, reference: ImageReference): Promise<ImageRecord> {
  const [{ parsePlatform, pullImage }, { imageContext, registryAccess }] = await Promise.all([
    import('../../image/index.ts'),
    import('./image-context.ts'),
  ]);
  const image = imageContext(ctx);
  const platformText = stringValue(ctx, 'platform');
  return withProgress(ctx, async (onProgress) =>
    pullImage({
      reference,
      content: image.content,
      images: image.images,
      ...(await registryAccess(image, reference.registry)),
      onProgress,
      ...(platformText ? { platform: parsePlatform(platformText) } : {}),
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
    }),
  );
}

function debug(ctx: CommandContext, note: string): void {
  if (ctx.debug) ctx.io.stderr.write(`berth: ${note}\n`);
}
