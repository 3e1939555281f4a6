import { createReadStream } from 'node:fs';
import type { ContentStore } from '../content/index.ts';
import { parseReference } from '../reference/index.ts';
import type { ImageRecord, ImageStore } from '../store/index.ts';
import { ByteReader } from './byte-reader.ts';
import { applyChanges } from './changes.ts';
import { decompressed } from './compression.ts';
import { invalidArchive } from './errors.ts';
import { createSingleLayerImage } from './single-layer.ts';
import { isTarHeader } from './tar-read.ts';

export interface ImportOptions {
  /** A rootfs tar file (plain, gzip or zstd) or a byte stream such as stdin. */
  input: string | AsyncIterable<Uint8Array>;
  /** Name for the new image; without one it is known by its ID only. */
  reference?: string;
  /** Dockerfile-style instructions for the config: `ENV A=b`, `CMD ["sh"]`, … */
  changes?: readonly string[];
  /** Replaces the history comment (default: `imported from <file>`). */
  message?: string;
  content: ContentStore;
  images: ImageStore;
  onProgress?: (bytes: number) => void;
  now?: () => Date;
}

/** Makes a single-layer image from a rootfs tarball, as `docker import` does. */
export async function importRootfs(options: ImportOptions): Promise<ImageRecord> {
  const what = typeof options.input === 'string' ? options.input : 'rootfs on stdin';
  const names: string[] = [];
  if (options.reference !== undefined) {
    if (parseReference(options.reference).digest) {
      throw invalidArchive(
        options.reference,
        'an image name for import cannot include a digest',
        'give a tag, e.g. app:1.0',
      );
    }
    names.push(options.reference);
  }
  const runtime = applyChanges({}, options.changes ?? []);
  const source = typeof options.input === 'string' ? createReadStream(options.input) : options.input;
  const { stream } = await decompressed(source, what);
  const created = (options.now ?? (() => new Date()))().toISOString();
  return createSingleLayerImage({
    layer: checkedTar(stream, what),
    what: `the layer of ${what}`,
    content: options.content,
    images: options.images,
    runtime,
    names,
    created,
    createdBy: 'berth import',
    comment: options.message ?? `imported from ${what}`,
    onProgress: options.onProgress,
  });
}

/** Passes the stream through after checking it starts with a tar header. */
async function* checkedTar(stream: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const reader = new ByteReader(stream);
  const first = await reader.read(512);
  if (!isTarHeader(first)) {
    await reader.close();
    throw invalidArchive(
      what,
      'it is not a tar archive (no valid tar header at the start)',
      'give a rootfs tarball, e.g. made by tar -C ROOTFS -c .',
    );
  }
  yield first;
  yield* reader.stream(Number.POSITIVE_INFINITY);
}
