/** Categories shared by every Berth error; the API maps them to HTTP statuses in one place. */
export type ErrorCategory =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'Conflict'
  | 'Unavailable'
  | 'Internal';

export interface BerthErrorOptions {
  /** Stable machine-readable code, `ERR_<DOMAIN>_<WHAT>`. */
  code: string;
  category: ErrorCategory;
  /** Lower-case message naming the cause, with context. */
  message: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

const CODE_PATTERN = /^ERR_[A-Z0-9]+(_[A-Z0-9]+)+$/;

/** The one error type users see: a stable code, a category, a message naming the cause and a hint. */
export class BerthError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly hint: string | undefined;

  constructor(options: BerthErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!CODE_PATTERN.test(options.code)) throw new Error(`invalid error code ${options.code}`);
    this.name = 'BerthError';
    this.code = options.code;
    this.category = options.category;
    this.hint = options.hint;
  }

  toJSON(): { code: string; category: ErrorCategory; message: string; hint?: string } {
    const out: { code: string; category: ErrorCategory; message: string; hint?: string } = {
      code: this.code,
      category: this.category,
      message: this.message,
    };
    if (this.hint !== undefined) out.hint = this.hint;
    return out;
  }
}

export interface SyscallErrorOptions {
  syscall: string;
  /** Symbolic errno, e.g. `EINVAL`. */
  errno: string;
  path?: string;
  /** What Berth was doing, e.g. `mount overlay`. */
  step?: string;
  hint?: string;
  cause?: unknown;
}

/** A failed system call at the kernel boundary: `mount overlay on /x: EINVAL`. */
export class SyscallError extends BerthError {
  readonly syscall: string;
  readonly errno: string;
  readonly path: string | undefined;

  constructor(options: SyscallErrorOptions) {
    const what = options.step ?? options.syscall;
    const where = options.path === undefined ? '' : ` ${options.path}`;
    super({
      code: 'ERR_SYSCALL_FAILED',
      category: categoryForErrno(options.errno),
      message: `${what}${where}: ${options.errno}`,
      hint: options.hint,
      cause: options.cause,
    });
    this.name = 'SyscallError';
    this.syscall = options.syscall;
    this.errno = options.errno;
    this.path = options.path;
  }
}

function categoryForErrno(errno: string): ErrorCategory {
  switch (errno) {
    case 'ENOENT':
    case 'ESRCH':
      return 'NotFound';
    case 'EEXIST':
      return 'AlreadyExists';
    case 'EINVAL':
    case 'ENAMETOOLONG':
      return 'InvalidArgument';
    case 'EBUSY':
      return 'Conflict';
    case 'EPERM':
    case 'EACCES':
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EROFS':
      return 'FailedPrecondition';
    case 'EAGAIN':
    case 'ENOMEM':
      return 'Unavailable';
    default:
      return 'Internal';
  }
}

/** True for a Node system error (`ENOENT`, …) with the given code. */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** True for a write refused because the filesystem (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  if (err instanceof SyscallError) return err.errno === 'ENOSPC' || err.errno === 'EDQUOT';
  if (err instanceof BerthError) return err.code === 'ERR_DISK_FULL';
  return isErrno(err, 'ENOSPC') || isErrno(err, 'EDQUOT');
}

/** A write refused for lack of space; `what` names what was being written. */
export class DiskFullError extends BerthError {
  readonly what: string;

  constructor(what: string, cause: unknown, hint?: string) {
    super({
      code: 'ERR_DISK_FULL',
      category: 'FailedPrecondition',
      message: `no space left on device writing ${what}`,
      hint:
        hint ??
        "free space on that filesystem ('berth image prune' removes unused images and layers), then retry",
      cause,
    });
    this.name = 'DiskFullError';
    this.what = what;
  }
}

/** The error a full disk surfaces as: `no space left on device writing <what>`; the hint defaults to the state directory's. */
export function diskFullError(what: string, cause: unknown, hint?: string): DiskFullError {
  return new DiskFullError(what, cause, hint);
}

/** Wraps an unknown thrown value so the CLI and API always report a BerthError. */
export function asBerthError(err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  // A write no caller named: the path if Node knows it, else the system call.
  if (isDiskFull(err)) {
    const e = err as { path?: unknown; syscall?: unknown };
    return diskFullError(typeof e.path === 'string' ? e.path : `(${String(e.syscall ?? 'write')})`, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BerthError({ code: 'ERR_INTERNAL_UNEXPECTED', category: 'Internal', message, cause: err });
}
