// `berth pull`: through berthd when it serves this command's state dir, in this process otherwise.
// The daemon path loads no image-store or registry code (only the reference parser and the
// credentials file reader), so its start-up stays close to `berth version`'s.
import { resolve } from 'node:path';
import { BerthdClient, daemonHost } from '../../client/index.ts';
import { defaultPaths } from '../../core/index.ts';
import type { ImageRecord } from '../../image/index.ts';
import { familiarName, type ImageReference, parseReference } from '../../image/reference/index.ts';
// The file, not registry/index.ts: the part's index would load the registry client.
import { CredentialStore, defaultAuthFile } from '../../image/registry/credentials.ts';
import type { Command, CommandContext } from '../command.ts';
import {
  REGISTRY_OPTIONS,
  registrySettings,
  requirePositional,
  STORE_HELP,
  STORE_OPTIONS,
  stringValue,
} from './image-options.ts';
import { formatBytes, withProgress } from './image-progress.ts';

export const imagePullCommand: Command = {
  name: 'pull',
  summary: 'Pull an image from a registry',
  usage: 'image pull [--platform os/arch[/variant]] [--host unix:///PATH] [--no-daemon] NAME[:TAG|@DIGEST]',
  description: [
    'Pulls through berthd when a daemon answers on its socket (--host, BERTH_HOST, default',
    '$BERTH_RUN_DIR/berthd.sock = /run/berth/berthd.sock) and serves the same state directory as',
    'this command (--state-dir, BERTH_STATE_DIR); the CLI sends the credentials stored by',
    "'berth login' for the image's registry. Otherwise the pull runs in this process.",
    "--no-daemon, or a --state-dir other than the daemon's, always pulls in this process;",
    '--debug says which way the pull went. Ctrl-C stops the pull either way.',
  ].join('\n'),
  options: {
    ...STORE_OPTIONS,
    ...REGISTRY_OPTIONS,
    platform: { type: 'string' },
    host: { type: 'string' },
    'no-daemon': { type: 'boolean' },
  },
  optionHelp: {
    ...STORE_HELP,
    platform: 'platform to select from a multi-arch image (default linux/amd64)',
    host: 'berthd socket as unix:///path (default BERTH_HOST, or /run/berth/berthd.sock)',
    'no-daemon': 'pull in this process even when berthd is running',
  },
  async run(ctx: CommandContext) {
    const reference = parseReference(requirePositional(ctx, 0, 'image name', 'pull'));
    const daemon = ctx.values['no-daemon'] === true ? undefined : await sameStoreDaemon(ctx);
    const record = daemon
      ? await pullThroughDaemon(ctx, daemon, reference)
      : await pullInProcess(ctx, reference);
    return {
      data: record,
      render: (r: ImageRecord) =>
        `Pulled ${familiarName(reference)}\nDigest: ${r.repoDigests[0]?.split('@')[1] ?? r.manifest.digest}\nID: ${r.id.slice(7, 19)} (${r.platform.os}/${r.platform.architecture}, ${formatBytes(r.size)})\n`,
    };
  },
};

/** The daemon to pull through: one that answers and serves this command's state dir, else none. */
async function sameStoreDaemon(ctx: CommandContext): Promise<BerthdClient | undefined> {
  const host = daemonHost(stringValue(ctx, 'host'));
  const client = new BerthdClient({ socketPath: host.socketPath });
  const version = await client.probe();
  if (!version) {
    // A daemon the user named must answer; the default socket may simply have no daemon.
    if (host.explicit) await client.version();
    debug(ctx, `no berthd answers on ${host.socketPath}: pulling in this process`);
    return undefined;
  }
  const stateDir = resolve(stringValue(ctx, 'state-dir') ?? defaultPaths().stateDir);
  if (resolve(version.stateDir) !== stateDir) {
    debug(
      ctx,
      `berthd on ${host.socketPath} serves ${version.stateDir}, not ${stateDir}: pulling in this process`,
    );
    return undefined;
  }
  debug(ctx, `pulling through berthd on ${host.socketPath} (state dir ${stateDir})`);
  return client;
}

async function pullThroughDaemon(
  ctx: CommandContext,
  daemon: BerthdClient,
  reference: ImageReference,
): Promise<ImageRecord> {
  const settings = registrySettings(ctx);
  const credentials = await new CredentialStore(defaultAuthFile()).get(reference.registry);
  const platform = stringValue(ctx, 'platform');
  return withProgress(ctx.json, (onProgress) =>
    daemon.pullImage(
      {
        reference: requirePositional(ctx, 0, 'image name', 'pull'),
        insecureRegistries: settings.insecureRegistries,
        ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
        ...(credentials ? { credentials } : {}),
        ...(platform ? { platform } : {}),
      },
      { onProgress },
    ),
  );
}

async function pullInProcess(ctx: CommandContext, reference: ImageReference): Promise<ImageRecord> {
  const [{ parsePlatform, pullImage }, { imageContext, registryAccess }] = await Promise.all([
    import('../../image/index.ts'),
    import('./image-context.ts'),
  ]);
  const image = imageContext(ctx);
  const platformText = stringValue(ctx, 'platform');
  return withProgress(ctx.json, async (onProgress) =>
    pullImage({
      reference,
      content: image.content,
      images: image.images,
      ...(await registryAccess(image, reference.registry)),
      onProgress,
      ...(platformText ? { platform: parsePlatform(platformText) } : {}),
    }),
  );
}

function debug(ctx: CommandContext, note: string): void {
  if (ctx.debug) process.stderr.write(`berth: ${note}\n`);
}
