// `berth build-base busybox|debian`: make the built-in base images with no registry.
import { buildBusyboxImage, buildDebianImage, type ImageRecord, localHost } from '../../image/index.ts';
import type { Command } from '../command.ts';
import { archiveStores, progressLines, usage } from './image-archive.ts';

export const buildBaseCommand: Command = {
  name: 'build-base',
  summary: 'Build a base image locally: busybox (from busybox-static) or debian (debootstrap)',
  usage: 'build-base busybox|debian [--mirror URL] [--force]',
  description:
    'busybox → docker.io/library/busybox:latest, reproducible, takes seconds (and is built on first use).\n' +
    "debian → docker.io/library/debian:bookworm (minbase) from the host's apt mirror, takes minutes;\n" +
    'nothing to do when the image is already in the store (unless --force).',
  options: {
    'state-dir': { type: 'string' },
    mirror: { type: 'string' },
    force: { type: 'boolean' },
    'scratch-dir': { type: 'string' },
  },
  optionHelp: {
    'state-dir': 'Berth state directory (default /var/lib/berth, or BERTH_STATE_DIR)',
    mirror: 'Debian mirror (default: the one in /etc/apt/sources.list*)',
    force: 'rebuild even when the image exists',
    'scratch-dir': 'where debootstrap makes its temporary root (default: the system temp dir)',
  },
  async run(ctx) {
    const which = ctx.positionals[0];
    const deps = { ...archiveStores(ctx), host: localHost, onLine: progressLines(ctx) };
    let record: ImageRecord;
    if (which === 'busybox') {
      const existing = await deps.images.find('busybox');
      record = existing && ctx.values.force !== true ? existing : await buildBusyboxImage(deps);
    } else if (which === 'debian') {
      record = await buildDebianImage(deps, {
        mirror: typeof ctx.values.mirror === 'string' ? ctx.values.mirror : undefined,
        scratchDir: typeof ctx.values['scratch-dir'] === 'string' ? ctx.values['scratch-dir'] : undefined,
        force: ctx.values.force === true,
      });
    } else {
      throw usage(`build-base: expected 'busybox' or 'debian', got '${which ?? ''}'`, 'build-base');
    }
    return { data: record, render: (r: ImageRecord) => `${r.names.join(', ')}  ${r.id}\n` };
  },
};
