export { OverlaySnapshotter } from './overlay.ts';
export type { Mount, SnapshotInfo, SnapshotKind, Snapshotter, SnapshotUsage } from './types.ts';
