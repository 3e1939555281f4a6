/** A mount for the caller to perform, in the shape of an OCI runtime-spec mount. */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

/** active: writable, being prepared; committed: read-only, can be a parent; view: read-only. */
export type SnapshotKind = 'active' | 'committed' | 'view';

export interface SnapshotInfo {
  key: string;
  kind: SnapshotKind;
  /** Key of the committed snapshot this one builds on. */
  parent: string | undefined;
  /** ISO 8601 creation time. */
  created: string;
}

export interface SnapshotUsage {
  /** Bytes of disk used by this snapshot's own layer (hardlinked inodes counted once). */
  size: number;
  inodes: number;
}

/**
 * containerd's snapshotter contract: snapshots keyed by name, each a layer over a committed
 * parent. Methods return mounts for the caller to perform; a snapshotter never mounts.
 */
export interface Snapshotter {
  /** Creates an active (writable) snapshot over `parent` and returns how to mount it. */
  prepare(key: string, parent?: string): Promise<Mount[]>;
  /** Creates a read-only view of `parent`. */
  view(key: string, parent?: string): Promise<Mount[]>;
  /** The mounts of an active snapshot or a view. */
  mounts(key: string): Promise<Mount[]>;
  /** Turns active snapshot `key` into committed snapshot `name`. */
  commit(name: string, key: string): Promise<void>;
  /** Removes a snapshot that no other snapshot builds on. */
  remove(key: string): Promise<void>;
  stat(key: string): Promise<SnapshotInfo>;
  list(): Promise<SnapshotInfo[]>;
  usage(key: string): Promise<SnapshotUsage>;
}
