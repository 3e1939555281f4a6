// Applies tar entries to a directory, as containerd's archive.Apply does: files, dirs, links,
// devices, ownership, modes, times and xattrs, with OCI whiteouts converted or applied.
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  symlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { BerthError, diskFullError, isDiskFull, SyscallError } from '../../core/index.ts';
import type { TarEntry, TarSink } from '../tar/index.ts';
import { invalidLayer, printable } from '../tar/index.ts';
import { unsafeLayer } from './errors.ts';
import type { Node, RootModel } from './root-model.ts';
import type { UnpackSyscalls } from './syscalls.ts';
import { applyWhiteout, isWhiteout, type WhiteoutMode } from './whiteouts.ts';

export interface ApplyPolicy {
  /** Create char and block devices from the layer (fifos are always allowed). */
  allowDevices: boolean;
  /** Apply the layer's uid/gid (needs root); otherwise files belong to the caller. */
  preserveOwnership: boolean;
  whiteouts: WhiteoutMode;
}

/** What one layer put on disk. */
export interface LayerStats {
  entries: number;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  devices: number;
  whiteouts: number;
  /** Bytes of regular file content written. */
  bytes: number;
  /** xattrs the filesystem refused with ENOTSUP, e.g. user.* on symlinks. */
  skippedXattrs: number;
}

const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW; // libuv adds O_CLOEXEC
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const MAX_COMPONENT = 255;

export class LayerApplier implements TarSink {
  readonly stats: LayerStats = {
    entries: 0,
    files: 0,
    dirs: 0,
    symlinks: 0,
    hardlinks: 0,
    devices: 0,
    whiteouts: 0,
    bytes: 0,
    skippedXattrs: 0,
  };
  readonly #model: RootModel;
  readonly #policy: ApplyPolicy;
  readonly #sys: UnpackSyscalls;
  /** Directory times are set last, after their children stopped changing them. */
  readonly #dirTimes = new Map<string, TarEntry>();
  #file: { fd: number; entry: TarEntry; path: string } | undefined;

  constructor(model: RootModel, policy: ApplyPolicy, syscalls: UnpackSyscalls) {
    this.#model = model;
    this.#policy = policy;
    this.#sys = syscalls;
  }

  entry(entry: TarEntry): void {
    this.stats.entries++;
    this.#guard(entry, () => this.#apply(entry));
  }

  data(chunk: Buffer): void {
    const file = this.#file;
    if (file === undefined) return;
    this.#guard(file.entry, () => {
      let done = 0;
      while (done < chunk.length) done += writeSync(file.fd, chunk, done);
    });
    this.stats.bytes += chunk.length;
  }

  entryEnd(): void {
    const file = this.#file;
    if (file === undefined) return;
    this.#file = undefined;
    this.#guard(file.entry, () => {
      try {
        if (this.#policy.preserveOwnership) fchownSync(file.fd, file.entry.uid, file.entry.gid);
        fchmodSync(file.fd, file.entry.mode); // after chown, which clears setuid/setgid
        this.#xattrs(file.path, file.entry);
        futimesSync(file.fd, atimeOf(file.entry), file.entry.mtime);
      } finally {
        closeSync(file.fd);
      }
    });
  }

  /** Sets directory times once every entry is written. */
  finish(): void {
    for (const [rel, entry] of this.#dirTimes) {
      this.#guard(entry, () => utimesSync(this.#model.abs(rel), atimeOf(entry), entry.mtime));
    }
  }

  /** Closes a file left open by a failed unpack. */
  abort(): void {
    if (this.#file !== undefined) closeSync(this.#file.fd);
    this.#file = undefined;
  }

  #apply(entry: TarEntry): void {
    const parts = entryParts(entry.path, entry);
    const base = parts.pop();
    if (base === undefined) {
      if (entry.type !== 'dir') throw invalidLayer(`${entry.type} entry names the root (${describe(entry)})`);
      this.#dir(entry, '');
      return;
    }
    const dir = this.#model.resolveDir(parts, describe(entry));
    if (isWhiteout(base)) {
      if (
        applyWhiteout({ model: this.#model, dir, base, mode: this.#policy.whiteouts, syscalls: this.#sys })
      ) {
        this.stats.whiteouts++;
      }
      return;
    }
    const rel = dir === '' ? base : `${dir}/${base}`;
    const existing = this.#model.lookup(rel);
    if (existing !== undefined && !(existing.kind === 'dir' && entry.type === 'dir')) {
      this.#model.remove(rel); // docker semantics: anything but dir-over-dir replaces
      this.#dirTimes.delete(rel);
    }
    this.#create(entry, rel, existing?.kind === 'dir' ? existing : undefined);
  }

  #create(entry: TarEntry, rel: string, existingDir: Node | undefined): void {
    const path = this.#model.abs(rel);
    switch (entry.type) {
      case 'dir':
        if (existingDir === undefined) {
          mkdirSync(path, 0o700);
          this.#model.set(rel, { kind: 'dir', created: true, fresh: true });
        }
        this.#dir(entry, rel);
        return;
      case 'file':
        this.#file = { fd: openSync(path, OPEN_FLAGS, 0o600), entry, path };
        this.#model.set(rel, { kind: 'other', created: true });
        this.stats.files++;
        return;
      case 'symlink':
        symlinkSync(entry.linkname, path);
        this.#model.set(rel, { kind: 'symlink', created: true, target: entry.linkname });
        this.stats.symlinks++;
        this.#metadata(entry, path, false);
        return;
      case 'hardlink':
        linkSync(this.#model.abs(this.#linkTarget(entry)), path);
        this.#model.set(rel, { kind: 'other', created: true });
        this.stats.hardlinks++;
        return;
      default:
        this.#node(entry, path);
        this.#model.set(rel, { kind: 'other', created: true });
    }
  }

  #dir(entry: TarEntry, rel: string): void {
    this.#metadata(entry, this.#model.abs(rel), true);
    this.#dirTimes.set(rel, entry);
    this.stats.dirs++;
  }

  #node(entry: TarEntry, path: string): void {
    if (entry.type !== 'fifo' && !this.#policy.allowDevices) {
      throw unsafeLayer(
        `${entry.type} device ${entry.devmajor}:${entry.devminor} not allowed`,
        describe(entry),
      );
    }
    const type = entry.type === 'char' ? S_IFCHR : entry.type === 'block' ? S_IFBLK : S_IFIFO;
    this.#sys.mknod(path, type | 0o600, entry.devmajor, entry.devminor);
    if (entry.type !== 'fifo') this.stats.devices++;
    this.#metadata(entry, path, true);
    utimesSync(path, atimeOf(entry), entry.mtime);
  }

  /** Ownership, mode and xattrs of a non-file entry at a symlink-free path. */
  #metadata(entry: TarEntry, path: string, chmod: boolean): void {
    if (this.#policy.preserveOwnership) lchownSync(path, entry.uid, entry.gid);
    if (chmod) chmodSync(path, entry.mode);
    this.#xattrs(path, entry);
    if (!chmod) lutimesSync(path, atimeOf(entry), entry.mtime);
  }

  /** A hardlink's target must be a non-directory this unpack can already see inside the root. */
  #linkTarget(entry: TarEntry): string {
    const parts = entryParts(entry.linkname, entry);
    const base = parts.pop();
    if (base === undefined) throw unsafeLayer('hardlink to the root', describe(entry));
    const dir = this.#model.resolveDir(parts, describe(entry));
    const rel = dir === '' ? base : `${dir}/${base}`;
    const target = this.#model.lookup(rel);
    if (target === undefined) {
      throw unsafeLayer(
        `hardlink target '${printable(entry.linkname)}' is not in the layer (or not yet)`,
        describe(entry),
      );
    }
    if (target.kind === 'dir')
      throw unsafeLayer(`hardlink to directory '${printable(entry.linkname)}'`, describe(entry));
    return rel;
  }

  #xattrs(path: string, entry: TarEntry): void {
    for (const [name, value] of entry.xattrs) {
      // Overlay's own attributes (redirect, metacopy, …) would steer the kernel; only whiteouts set them.
      if (name.startsWith('trusted.overlay.')) continue;
      try {
        this.#sys.lsetxattr(path, name, value);
      } catch (err) {
        if (err instanceof SyscallError && (err.errno === 'ENOTSUP' || err.errno === 'EOPNOTSUPP')) {
          this.stats.skippedXattrs++;
        } else throw err;
      }
    }
  }

  /** Turns a Node fs error into a SyscallError that names the entry. */
  #guard(entry: TarEntry, step: () => void): void {
    try {
      step();
    } catch (err) {
      if (err instanceof BerthError) throw err;
      if (isDiskFull(err)) throw diskFullError(describe(entry), err);
      const e = err as NodeJS.ErrnoException;
      if (typeof e.code !== 'string') throw err;
      throw new SyscallError({
        syscall: e.syscall ?? 'unknown',
        errno: e.code,
        path: e.path,
        step: `unpack ${describe(entry)}: ${e.syscall ?? ''}`,
        cause: err,
      });
    }
  }
}

/** Splits an entry name into components: leading `/` and `.` dropped, `..` refused. */
function entryParts(name: string, entry: TarEntry): string[] {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw unsafeLayer(`'..' in path '${printable(name)}'`, describe(entry));
    if (Buffer.byteLength(part) > MAX_COMPONENT) {
      throw invalidLayer(`path component longer than ${MAX_COMPONENT} bytes (${describe(entry)})`);
    }
    parts.push(part);
  }
  return parts;
}

function atimeOf(entry: TarEntry): number {
  return entry.atime ?? entry.mtime;
}

function describe(entry: TarEntry): string {
  return `entry #${entry.index} '${printable(entry.path.slice(0, 200))}'`;
}
