// The busybox base image, built from Debian's busybox-static with no network: /bin/busybox,
// a symlink per applet, a minimal /etc, and the directories a container expects. Every header
// is fixed (mtime, owner, order), so the same busybox binary always gives the same digests.
import { dirname } from 'node:path';
import {
  createSingleLayerImage,
  type TarEntryHeader,
  tarEnd,
  tarHeader,
  tarPadding,
} from '../archive/index.ts';
import type { ImageRecord } from '../store/index.ts';
import type { BaseImageDeps } from './types.ts';

/** The name the busybox base image is stored under; `busybox` resolves to it. */
export const BUSYBOX_IMAGE = 'docker.io/library/busybox:latest';
export const BUSYBOX_BINARY = '/bin/busybox';

/** Fixed time for every file and the config: Debian 12's release day. */
const EPOCH = Date.UTC(2023, 5, 10) / 1000;

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';

interface LayerFile {
  header: TarEntryHeader;
  body?: Buffer;
}

/** Builds (or rebuilds: the result is identical) the busybox image and records it. */
export async function buildBusyboxImage(deps: BaseImageDeps & { binary?: string }): Promise<ImageRecord> {
  const binary = deps.binary ?? BUSYBOX_BINARY;
  const bytes = await deps.host.readFile(binary);
  const applets = (await deps.host.capture([binary, '--list-full']))
    .toString('utf8')
    .split('\n')
    .filter(Boolean);
  const version = /BusyBox (v[^\s]+)(?: \(([^)]+)\))?/.exec(
    (await deps.host.capture([binary, '--help'])).toString(),
  );
  deps.onLine?.(
    `building ${BUSYBOX_IMAGE} from ${binary} (${version?.[2] ?? version?.[1] ?? 'unknown version'}, ${applets.length} applets)`,
  );
  return createSingleLayerImage({
    layer: layerChunks(busyboxFiles(bytes, applets)),
    content: deps.content,
    images: deps.images,
    runtime: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['sh'],
      Labels: { 'io.berth.base-image': 'busybox', 'io.berth.busybox.version': version?.[1] ?? 'unknown' },
    },
    names: [BUSYBOX_IMAGE],
    created: new Date(EPOCH * 1000).toISOString(),
    createdBy: `berth base busybox from ${binary} (${version?.[2] ?? 'busybox-static'})`,
  });
}

/** The layer's entries, sorted by path. */
export function busyboxFiles(binary: Buffer, applets: string[]): LayerFile[] {
  const dirs = new Map<string, number>([
    ['bin', 0o755],
    ['dev', 0o755],
    ['etc', 0o755],
    ['home', 0o755],
    ['proc', 0o555],
    ['root', 0o700],
    ['sbin', 0o755],
    ['sys', 0o555],
    ['tmp', 0o1777],
    ['usr', 0o755],
    ['usr/bin', 0o755],
    ['usr/sbin', 0o755],
    ['var', 0o755],
    ['var/tmp', 0o1777],
  ]);
  const files: LayerFile[] = [
    { header: { name: 'bin/busybox', type: 'file', mode: 0o755, size: binary.length }, body: binary },
    {
      header: { name: 'etc/passwd', type: 'file', mode: 0o644, size: PASSWD.length },
      body: Buffer.from(PASSWD),
    },
    {
      header: { name: 'etc/group', type: 'file', mode: 0o644, size: GROUP.length },
      body: Buffer.from(GROUP),
    },
  ];
  for (const applet of applets.map((a) => a.replace(/^\/+/, ''))) {
    if (applet === 'bin/busybox' || applet.includes('..') || applet === '') continue;
    for (let dir = dirname(applet); dir !== '.'; dir = dirname(dir)) if (!dirs.has(dir)) dirs.set(dir, 0o755);
    files.push({ header: { name: applet, type: 'symlink', mode: 0o777, linkname: '/bin/busybox' } });
  }
  for (const [name, mode] of dirs) files.push({ header: { name, type: 'dir', mode } });
  const unique = new Map(files.map((f) => [f.header.name, f]));
  return [...unique.values()]
    .map((f) => ({ ...f, header: { ...f.header, mtime: EPOCH, uid: 0, gid: 0 } }))
    .sort((a, b) => (a.header.name < b.header.name ? -1 : a.header.name > b.header.name ? 1 : 0));
}

async function* layerChunks(files: LayerFile[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    yield tarHeader(file.header);
    if (file.body) {
      yield file.body;
      yield tarPadding(file.body.length);
    }
  }
  yield tarEnd();
}
