// debian:bookworm (minbase), built with debootstrap from the host's configured Debian mirror.
// Takes minutes; idempotent (an existing image is kept) and leaves no rootfs behind on failure.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError, lock } from '../../core/index.ts';
import { createSingleLayerImage } from '../archive/index.ts';
import type { ImageRecord } from '../store/index.ts';
import type { BaseHost } from './host.ts';
import { type AptSource, chooseMirror, parseDeb822Sources, parseOneLineSources } from './mirror.ts';
import type { BaseImageDeps } from './types.ts';

export const DEBIAN_SUITE = 'bookworm';
export const DEBIAN_IMAGE = `docker.io/library/debian:${DEBIAN_SUITE}`;

export interface DebianBuildOptions {
  /** Mirror URL; default: the one the host's apt uses. */
  mirror?: string;
  /** Where the temporary rootfs is made (default the system temp dir). */
  scratchDir?: string;
  /** Rebuild even when the image exists. */
  force?: boolean;
}

/** Reads apt's sources on `host` and picks the mirror for `suite`. */
export async function discoverMirror(host: BaseHost, suite = DEBIAN_SUITE): Promise<string> {
  const sources: AptSource[] = [];
  const main = await host.readFile('/etc/apt/sources.list').catch(() => undefined);
  if (main) sources.push(...parseOneLineSources(main.toString('utf8'), '/etc/apt/sources.list'));
  for (const name of (await host.listDir('/etc/apt/sources.list.d')).sort()) {
    const path = `/etc/apt/sources.list.d/${name}`;
    if (!name.endsWith('.list') && !name.endsWith('.sources')) continue;
    const text = (await host.readFile(path)).toString('utf8');
    sources.push(
      ...(name.endsWith('.list') ? parseOneLineSources(text, path) : parseDeb822Sources(text, path)),
    );
  }
  const mirror = chooseMirror(sources, suite);
  if (mirror) return mirror;
  throw new BerthError({
    code: 'ERR_IMAGE_BASE_NO_MIRROR',
    category: 'FailedPrecondition',
    message: `no Debian mirror for '${suite}' in /etc/apt/sources.list or /etc/apt/sources.list.d`,
    hint: 'pass --mirror http://deb.debian.org/debian (or your local mirror)',
  });
}

/** Builds debian:bookworm with debootstrap unless it is already in the store. */
export async function buildDebianImage(
  deps: BaseImageDeps,
  options: DebianBuildOptions = {},
): Promise<ImageRecord> {
  await mkdir(deps.images.root, { recursive: true });
  const held = await lock(join(deps.images.root, 'base-debian.lock'));
  try {
    const existing = await deps.images.find(DEBIAN_IMAGE);
    if (existing && !options.force) {
      deps.onLine?.(`${DEBIAN_IMAGE} is already in the store (${existing.id.slice(7, 19)}); nothing to do`);
      return existing;
    }
    const mirror = options.mirror ?? (await discoverMirror(deps.host));
    const scratch = await mkdtemp(join(options.scratchDir ?? tmpdir(), 'berth-debootstrap-'));
    try {
      return await debootstrapImage(deps, { mirror, rootfs: join(scratch, 'rootfs') });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  } finally {
    await held.release();
  }
}

async function debootstrapImage(
  deps: BaseImageDeps,
  step: { mirror: string; rootfs: string },
): Promise<ImageRecord> {
  const { host } = deps;
  deps.onLine?.(`debootstrap --variant=minbase ${DEBIAN_SUITE} from ${step.mirror}`);
  await host.run(['debootstrap', '--variant=minbase', DEBIAN_SUITE, step.rootfs, step.mirror], (line) =>
    deps.onLine?.(`  ${line}`),
  );
  deps.onLine?.('packing the root filesystem into a layer');
  // What Debian's own images leave out: device nodes, mounted filesystems, apt's caches and lists.
  const tar = host.stream([
    'tar',
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=*',
    '--sort=name',
    '--exclude=./dev/*',
    '--exclude=./proc/*',
    '--exclude=./sys/*',
    '--exclude=./run/*',
    '--exclude=./var/cache/apt/*.bin',
    '--exclude=./var/cache/apt/archives/*.deb',
    '--exclude=./var/lib/apt/lists/*',
    '--exclude=./tmp/*',
    '-C',
    step.rootfs,
    '-cf',
    '-',
    '.',
  ]);
  const version = (await host.readFile(join(step.rootfs, 'etc/debian_version')).catch(() => Buffer.from('?')))
    .toString()
    .trim();
  return createSingleLayerImage({
    layer: tar,
    content: deps.content,
    images: deps.images,
    runtime: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['bash'],
      Labels: { 'io.berth.base-image': 'debian', 'io.berth.debian.version': version },
    },
    names: [DEBIAN_IMAGE],
    created: new Date().toISOString(),
    createdBy: `debootstrap --variant=minbase ${DEBIAN_SUITE} ${step.mirror}`,
    comment: `Debian ${version}`,
  });
}
