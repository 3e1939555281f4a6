// Linux x86-64 constants the planner turns spec fields into.

export const CLONE = {
  newns: 0x00020000,
  newcgroup: 0x02000000,
  newuts: 0x04000000,
  newipc: 0x08000000,
  newuser: 0x10000000,
  newpid: 0x20000000,
  newnet: 0x40000000,
  newtime: 0x00000080,
} as const;

export const MS = {
  rdonly: 1,
  nosuid: 2,
  nodev: 4,
  noexec: 8,
  synchronous: 16,
  remount: 32,
  mandlock: 64,
  dirsync: 128,
  nosymfollow: 256,
  noatime: 1024,
  nodiratime: 2048,
  bind: 4096,
  move: 8192,
  rec: 16384,
  unbindable: 1 << 17,
  private: 1 << 18,
  slave: 1 << 19,
  shared: 1 << 20,
  relatime: 1 << 21,
  strictatime: 1 << 24,
} as const;

export const O = { rdonly: 0, directory: 0o200000, path: 0o10000000 } as const;

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

export const PERSONALITY: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };
