// A container's or build step's root filesystem on the host: mounting snapshots, undoing set-up,
// and the image's own user database.
export type { MountSyscalls } from './mount.ts';
/** Mounts a snapshot's mount list (overlay or bind) on a directory. */
export { libcMountSyscalls, MS_BIND, MS_REC, mountSnapshot } from './mount.ts';
/** Undo steps run in reverse on failure. */
export { Undo } from './undo.ts';
export type { ResolvedUser, UnknownNameError } from './users.ts';
/** `user[:group]` → uid, gid, supplementary groups and home, from the rootfs's passwd and group. */
export { resolveUser } from './users.ts';
