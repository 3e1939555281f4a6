import { familiarName, type PushResult, parseReference, pushImage } from '../../image/index.ts';
import type { Command, CommandContext } from '../command.ts';
import {
  imageContext,
  REGISTRY_OPTIONS,
  registryAccess,
  requirePositional,
  STORE_HELP,
  STORE_OPTIONS,
  stringValue,
} from './image-context.ts';
import { withProgress } from './image-progress.ts';

export const imagePushCommand: Command = {
  name: 'push',
  hosted: true,
  summary: 'Push an image to a registry',
  usage: 'image push [-q] [--chunk-size BYTES] IMAGE [DESTINATION]',
  description: 'IMAGE is a name or ID in the store; DESTINATION (default: IMAGE) is where to push it.',
  options: {
    ...STORE_OPTIONS,
    ...REGISTRY_OPTIONS,
    'chunk-size': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  optionHelp: {
    ...STORE_HELP,
    'chunk-size': 'upload blobs larger than this in chunks of this size (default 64 MiB)',
    quiet: 'no progress; print only the name pushed to',
  },
  async run(ctx: CommandContext) {
    const source = requirePositional(ctx, 0, 'image', 'push');
    const destination = ctx.positionals[1] ?? source;
    const reference = parseReference(destination);
    const image = imageContext(ctx);
    const chunk = stringValue(ctx, 'chunk-size');
    const result = await withProgress(ctx, async (onProgress) =>
      pushImage({
        image: source,
        destination,
        content: image.content,
        images: image.images,
        ...(await registryAccess(image, reference.registry)),
        onProgress,
        ...(chunk ? { chunkSize: Number(chunk) } : {}),
        ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      }),
    );
    return {
      data: result,
      render: (r: PushResult) => {
        if (ctx.values.quiet === true) return `${familiarName(reference)}\n`;
        const count = (o: string) => r.blobs.filter((b) => b.outcome === o).length;
        return `Pushed ${familiarName(reference)}\nDigest: ${r.digest}\nBlobs: ${count('uploaded')} uploaded, ${count('mounted')} mounted, ${count('exists')} already present\n`;
      },
    };
  },
};
