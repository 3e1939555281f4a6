export type { GarbageCollectOptions, GarbageCollectResult } from './gc.ts';
export { collectGarbage } from './gc.ts';
export { ImageStore } from './image-store.ts';
export { imageLayers } from './layers.ts';
export type { CollectSnapshotsOptions, CollectSnapshotsResult } from './snapshot-gc.ts';
export { buildLockPath, collectSnapshots, snapshotLockPath } from './snapshot-gc.ts';
export type { ImageRecord, ImageSource, RemoveOptions, RemoveResult } from './types.ts';
