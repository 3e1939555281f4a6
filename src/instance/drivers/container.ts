// A foreground container from an image (`berth run`): image → committed snapshots → a fresh
// active snapshot mounted as the root → bundle → the runtime, with the caller's stdio. Every
// step registers its undo; whatever happens (exit, failure to start, a signal), the container
// state, the mount, the active snapshot and the bundle are gone when this returns. A run killed
// before its undo ran is cleaned up by the next one (recover.ts), found by its owner lock.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../core/index.ts';
import {
  ContentStore,
  ImageStore,
  imageLayers,
  libcMountSyscalls,
  type MountSyscalls,
  mountSnapshot,
  parseImageConfig,
  resolveUser,
  Undo,
  unpackImage,
} from '../../image/index.ts';
import { type ContainerStdio, runContainer } from '../../runtime/container/index.ts';
import { StateStore } from '../../runtime/state/index.ts';
import { type Mount, OverlaySnapshotter } from '../../storage/index.ts';
import { type ImageSourceOptions, resolveRunImage } from '../image.ts';
import { mergeProcessConfig, type ProcessOverrides } from '../process-config.ts';
import { containerSpec, type NetworkMode } from './container-spec.ts';
import { kernelNetworkSetup, type NetworkSetup } from './loopback.ts';
import { KERNEL_RECOVERY, type RunRecoveryDeps, recoverRunLeftovers } from './recover.ts';
import { claimRun, type RunOwner } from './run-owner.ts';
import { withSnapshotLock } from './snapshot-lock.ts';
import { StopOnSignal } from './stop.ts';

export interface RunContainerOnceOptions extends ProcessOverrides {
  /** Image name or ID. */
  image: string;
  /** Snapshots, content and image store live here. */
  stateDir: string;
  /** Runtime state (`<runDir>/containers`) and bundles (`<runDir>/bundles`). */
  runDir: string;
  /** Default `none`: a network namespace with only loopback, up. */
  network?: NetworkMode;
  /** Default: the container's short id. */
  hostname?: string;
  /** Registry settings and pull policy. */
  source?: Omit<ImageSourceOptions, 'content' | 'images'>;
  stdio?: ContainerStdio;
  /** After SIGINT/SIGTERM is passed on, how long before the container is killed (default 10 s). */
  stopTimeoutMs?: number;
  /** Called with the container id once it is chosen. */
  onId?: (id: string) => void;
  /** Called for each killed run whose leftovers could not be removed (the next run retries). */
  onWarning?: (warning: BerthError) => void;
}

/** Kernel access, replaceable in tests. */
export interface ContainerDriverDeps {
  mounts: MountSyscalls;
  network: NetworkSetup;
  recovery: RunRecoveryDeps;
}

const KERNEL: ContainerDriverDeps = {
  mounts: libcMountSyscalls,
  network: kernelNetworkSetup,
  recovery: KERNEL_RECOVERY,
};

/** Runs `image` in the foreground like `docker run --rm`; resolves to the container's exit status. */
export async function runContainerOnce(
  o: RunContainerOnceOptions,
  deps: ContainerDriverDeps = KERNEL,
): Promise<number> {
  const recovery = await recoverRunLeftovers(o, deps.recovery);
  for (const warning of recovery.failed) o.onWarning?.(warning);
  const id = randomBytes(32).toString('hex');
  o.onId?.(id);
  const stop = new StopOnSignal(o.stopTimeoutMs ?? 10_000);
  const undo = new Undo(`container ${id.slice(0, 12)}`);
  let owner: RunOwner | undefined;
  try {
    const content = ContentStore.forStateDir(o.stateDir);
    const images = ImageStore.forStateDir(o.stateDir);
    const image = await resolveRunImage(o.image, { ...o.source, content, images });
    // Claimed before anything of the run exists, once its image is known: the record names the
    // image, which `berth rmi` then keeps while the run lives.
    owner = await claimRun({ stateDir: o.stateDir, id, runDir: o.runDir, image: image.id });
    stop.check();
    const config = parseImageConfig(await content.readBytes(image.config.digest));
    const process = mergeProcessConfig(config, o);
    const snapshotter = new OverlaySnapshotter(join(o.stateDir, 'snapshots', 'overlay'));
    const key = `run-${id}`;
    const mounts = await prepareRoot({
      stateDir: o.stateDir,
      snapshotter,
      key,
      layers: await imageLayers(image, content),
    });
    undo.add(() => withSnapshotLock(o.stateDir, () => snapshotter.remove(key)));
    stop.check();
    const bundle = join(o.runDir, 'bundles', id);
    const rootfs = join(bundle, 'rootfs');
    await mkdir(rootfs, { recursive: true, mode: 0o700 });
    undo.add(() => rm(bundle, { recursive: true, force: true }));
    mountSnapshot(deps.mounts, mounts, rootfs);
    undo.add(() => deps.mounts.unmount(rootfs));
    const user = resolveUser(rootfs, process.user);
    const network = o.network ?? 'none';
    const hostname = o.hostname ?? id.slice(0, 12);
    const spec = containerSpec({ rootfs, process, user, hostname, network });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    return await runContainer({
      store: new StateStore(join(o.runDir, 'containers')),
      id,
      bundle,
      stdio: o.stdio,
      beforeStart: (pid) => {
        if (network === 'none') deps.network.loopbackUp(pid);
        stop.check();
        stop.started(pid);
      },
    });
  } finally {
    stop.dispose();
    await undo.run().catch(async (err: unknown) => {
      // Whatever could not be undone stays on record for the next run's recovery.
      await owner?.abandon();
      throw err;
    });
    await owner?.release();
  }
}

/** Unpacks the image's layers (once per chain ID) and prepares a fresh writable snapshot on top. */
async function prepareRoot(o: {
  stateDir: string;
  snapshotter: OverlaySnapshotter;
  key: string;
  layers: Awaited<ReturnType<typeof imageLayers>>;
}): Promise<Mount[]> {
  return withSnapshotLock(o.stateDir, async () => {
    const parent =
      o.layers.length > 0
        ? (await unpackImage({ snapshotter: o.snapshotter, layers: o.layers })).chainId
        : undefined;
    return o.snapshotter.prepare(o.key, parent);
  });
}

/** Docker's exit statuses for a run that failed before the process ran: 127 not found, 126 cannot execute, else 125. */
export function exitStatusForError(err: unknown): number {
  if (err instanceof BerthError) {
    if (err.code === 'ERR_RUNTIME_EXEC_NOT_FOUND') return 127;
    const syscall = (err as { syscall?: unknown }).syscall;
    if (syscall === 'exec') return 126;
  }
  return 125;
}
