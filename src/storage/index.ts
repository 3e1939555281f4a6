/** Storage: overlay snapshots (mount lists, never mounted here), later volumes and disk images. */

export type { Mount, SnapshotInfo, SnapshotKind, Snapshotter, SnapshotUsage } from './snapshots/index.ts';
export { OverlaySnapshotter } from './snapshots/index.ts';
