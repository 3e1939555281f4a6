// Step codes of the launch plan; they must match native/plan.h.
export const Op = {
  mkfifo: 1,
  open: 2,
  connectUnix: 3,
  setns: 4,
  clone: 5,
  writeChildFile: 6,
  reportPid: 7,
  split: 8,
  unshare: 9,
  waitGo: 10,
  setsid: 11,
  joinKeyring: 12,
  sethostname: 13,
  setdomainname: 14,
  mount: 15,
  mkdir: 16,
  mkfile: 17,
  mknod: 18,
  symlink: 19,
  pivotRoot: 20,
  moveRoot: 21,
  chdir: 22,
  maskPath: 23,
  readonlyPath: 24,
  writeFile: 25,
  hook: 26,
  setrlimit: 27,
  personality: 28,
  capsDropBounding: 29,
  keepcaps: 30,
  setgroups: 31,
  setgid: 32,
  setuid: 33,
  capset: 34,
  ambientRaise: 35,
  noNewPrivs: 36,
  seccomp: 37,
  umask: 38,
  lookupExec: 39,
  reportReady: 40,
  waitStart: 41,
  console: 42,
  exec: 43,
  close: 44,
} as const;

export type OpName = keyof typeof Op;

/** One argument: a string (sent NUL-terminated), an integer (i64), a string list, or raw bytes. */
export type StepArg = string | number | bigint | string[] | Uint8Array;

/** One syscall-level step of a launch plan. */
export interface Step {
  op: OpName;
  args: StepArg[];
}

/** The flat, ordered list of steps the native helper executes (DESIGN.md, launch path). */
export interface LaunchPlan {
  steps: Step[];
}

/** fd slots the plan's steps open and later refer to. */
export const Slot = { rootfs: 0, execFifo: 1, consoleSocket: 2 } as const;

/** Root slot meaning "plain path, no in-root resolution". */
export const NO_ROOT = -1;
