import { MS } from './linux.ts';

/** A spec mount's options split the way mount(2) wants them. */
export interface MountOptions {
  /** Flags for the mount call itself. */
  flags: number;
  /** Propagation changes, each applied with its own mount call after mounting. */
  propagation: number[];
  /** Filesystem-specific options, comma-joined (e.g. `mode=755,size=65536k`). */
  data: string;
  bind: boolean;
}

const SET: Record<string, number> = {
  ro: MS.rdonly,
  nosuid: MS.nosuid,
  nodev: MS.nodev,
  noexec: MS.noexec,
  sync: MS.synchronous,
  remount: MS.remount,
  mand: MS.mandlock,
  dirsync: MS.dirsync,
  noatime: MS.noatime,
  nodiratime: MS.nodiratime,
  bind: MS.bind,
  rbind: MS.bind | MS.rec,
  relatime: MS.relatime,
  strictatime: MS.strictatime,
  nosymfollow: MS.nosymfollow,
};

const CLEAR: Record<string, number> = {
  rw: MS.rdonly,
  suid: MS.nosuid,
  dev: MS.nodev,
  exec: MS.noexec,
  async: MS.synchronous,
  nomand: MS.mandlock,
  atime: MS.noatime,
  diratime: MS.nodiratime,
  norelatime: MS.relatime,
  nostrictatime: MS.strictatime,
  symfollow: MS.nosymfollow,
};

const PROPAGATION: Record<string, number> = {
  private: MS.private,
  rprivate: MS.private | MS.rec,
  shared: MS.shared,
  rshared: MS.shared | MS.rec,
  slave: MS.slave,
  rslave: MS.slave | MS.rec,
  unbindable: MS.unbindable,
  runbindable: MS.unbindable | MS.rec,
};

/** Splits mount options into flags, propagation changes and data, as runc does. */
export function parseMountOptions(options: readonly string[] = []): MountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const option of options) {
    const set = SET[option];
    const clear = CLEAR[option];
    const prop = PROPAGATION[option];
    if (set !== undefined) flags |= set;
    else if (clear !== undefined) flags &= ~clear;
    else if (prop !== undefined) propagation.push(prop);
    else data.push(option);
  }
  return { flags, propagation, data: data.join(','), bind: (flags & MS.bind) !== 0 };
}

/** Propagation flag for linux.rootfsPropagation (runc's default is rslave). */
export function rootfsPropagation(value: string | undefined): number {
  if (value === undefined || value === '') return MS.slave | MS.rec;
  const flag = PROPAGATION[value];
  if (flag === undefined) throw new Error(`unknown rootfsPropagation ${value}`);
  return flag;
}
