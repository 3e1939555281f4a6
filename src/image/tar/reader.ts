// A push-driven streaming tar reader: feed it chunks as they arrive, it calls the sink per entry
// and passes file bodies through without copying. Everything that sizes a buffer is bounded.
import { invalidLayer } from './errors.ts';
import {
  BLOCK,
  decodeName,
  type EntryType,
  isZeroBlock,
  parseHeader,
  printable,
  type RawHeader,
} from './header.ts';
import { type PaxRecords, parsePax } from './pax.ts';

/** One archive member, with PAX and GNU long-name records already applied. */
export interface TarEntry {
  /** 1-based position in the archive, for error messages. */
  index: number;
  path: string;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Body length in bytes; 0 for every type but `file`. */
  size: number;
  /** Seconds since the epoch, possibly fractional. */
  mtime: number;
  atime: number | undefined;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
}

/** Receives entries in archive order; data chunks are only valid during the call. */
export interface TarSink {
  entry(entry: TarEntry): void;
  data(chunk: Buffer): void;
  entryEnd(): void;
}

export interface TarLimits {
  /** Largest PAX extended header body accepted (default 1 MiB). */
  maxPaxBytes: number;
  /** Longest path or link target accepted, in bytes (default 4096, Linux PATH_MAX). */
  maxNameBytes: number;
  /** Largest file body accepted (default: no limit beyond what a number holds). */
  maxFileBytes: number;
}

export const DEFAULT_TAR_LIMITS: TarLimits = {
  maxPaxBytes: 1 << 20,
  maxNameBytes: 4096,
  maxFileBytes: Number.MAX_SAFE_INTEGER,
};

type State = 'header' | 'meta' | 'body' | 'padding' | 'zero' | 'done';

export class TarReader {
  readonly #sink: TarSink;
  readonly #limits: TarLimits;
  #state: State = 'header';
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes left in the current body, meta record or padding. */
  #remaining = 0;
  #meta: RawHeader | undefined;
  #local: PaxRecords = {};
  #global: PaxRecords = {};
  #longName: string | undefined;
  #longLink: string | undefined;
  #index = 0;
  #offset = 0;

  constructor(sink: TarSink, limits: Partial<TarLimits> = {}) {
    this.#sink = sink;
    this.#limits = { ...DEFAULT_TAR_LIMITS, ...limits };
  }

  /** True once the end-of-archive marker was read; later bytes are ignored. */
  get done(): boolean {
    return this.#state === 'done';
  }

  /** Feeds the next chunk of the uncompressed archive. */
  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.#state !== 'done') {
      if (this.#state === 'body') pos = this.#body(chunk, pos);
      else if (this.#state === 'padding') pos = this.#skip(chunk, pos);
      else pos = this.#collect(chunk, pos);
    }
    this.#offset += chunk.length;
  }

  /** True when the input so far stops inside an entry (a header, a record or a body). */
  get truncated(): boolean {
    if (this.#state === 'done' || this.#state === 'zero') return false;
    return !(
      this.#state === 'header' &&
      this.#pendingBytes === 0 &&
      this.#meta === undefined &&
      !this.#hasMeta()
    );
  }

  /** Signals the end of input; throws when the archive stopped inside an entry. */
  end(): void {
    if (this.truncated) throw invalidLayer(`archive truncated at byte ${this.#offset} (${this.#where()})`);
  }

  #hasMeta(): boolean {
    return (
      this.#longName !== undefined || this.#longLink !== undefined || Object.keys(this.#local).length > 0
    );
  }

  #where(): string {
    return `entry #${this.#index + 1}`;
  }

  #body(chunk: Buffer, pos: number): number {
    const take = Math.min(this.#remaining, chunk.length - pos);
    if (take > 0) this.#sink.data(chunk.subarray(pos, pos + take));
    this.#remaining -= take;
    if (this.#remaining === 0) this.#finishBody();
    return pos + take;
  }

  #finishBody(): void {
    this.#sink.entryEnd();
    this.#remaining = this.#padding;
    this.#state = this.#remaining > 0 ? 'padding' : 'header';
  }

  #padding = 0;

  #skip(chunk: Buffer, pos: number): number {
    const take = Math.min(this.#remaining, chunk.length - pos);
    this.#remaining -= take;
    if (this.#remaining === 0) this.#state = 'header';
    return pos + take;
  }

  /** Accumulates a header block or a meta record body, then handles it. */
  #collect(chunk: Buffer, pos: number): number {
    const want = this.#state === 'meta' ? this.#remaining : BLOCK;
    const take = Math.min(want - this.#pendingBytes, chunk.length - pos);
    this.#pending.push(chunk.subarray(pos, pos + take));
    this.#pendingBytes += take;
    if (this.#pendingBytes === want) {
      const whole = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
      this.#pending = [];
      this.#pendingBytes = 0;
      if (this.#state === 'meta') this.#metaBody(whole);
      else this.#block(whole);
    }
    return pos + take;
  }

  #block(block: Buffer): void {
    if (isZeroBlock(block)) {
      if (this.#hasMeta())
        throw invalidLayer(`end of archive right after an extended header (${this.#where()})`);
      this.#state = this.#state === 'zero' ? 'done' : 'zero';
      return;
    }
    if (this.#state === 'zero') throw invalidLayer(`data after an end-of-archive block (${this.#where()})`);
    const header = parseHeader(block, this.#where());
    if (header.type === 'pax' || header.type === 'pax-global' || header.type.startsWith('gnu-')) {
      this.#startMeta(header);
      return;
    }
    this.#startEntry(header);
  }

  #startMeta(header: RawHeader): void {
    const limit = header.type.startsWith('gnu-') ? this.#limits.maxNameBytes + 1 : this.#limits.maxPaxBytes;
    if (header.size > limit) {
      const what = header.type.startsWith('gnu-') ? 'GNU long name' : 'pax header';
      throw invalidLayer(`${what} of ${header.size} bytes exceeds the limit of ${limit} (${this.#where()})`);
    }
    this.#meta = header;
    this.#padding = paddingFor(header.size);
    this.#remaining = header.size + this.#padding;
    this.#state = this.#remaining > 0 ? 'meta' : 'header';
    if (this.#remaining === 0) this.#metaBody(Buffer.alloc(0));
  }

  #metaBody(whole: Buffer): void {
    const header = this.#meta!;
    const body = whole.subarray(0, header.size);
    this.#meta = undefined;
    this.#state = 'header';
    if (header.type === 'pax') this.#local = { ...this.#local, ...parsePax(body, this.#where()) };
    else if (header.type === 'pax-global')
      this.#global = mergeGlobal(this.#global, parsePax(body, this.#where()));
    else {
      const end = body.indexOf(0);
      const name = decodeName(end === -1 ? body : body.subarray(0, end), this.#where());
      if (header.type === 'gnu-longname') this.#longName = name;
      else this.#longLink = name;
    }
  }

  #startEntry(header: RawHeader): void {
    this.#index++;
    const entry = this.#assemble(header);
    this.#local = {};
    this.#longName = undefined;
    this.#longLink = undefined;
    if (entry.size > this.#limits.maxFileBytes) {
      const where = `entry #${entry.index} '${printable(entry.path.slice(0, 200))}'`;
      throw invalidLayer(
        `${where} claims ${entry.size} bytes, more than the limit of ${this.#limits.maxFileBytes}`,
      );
    }
    this.#sink.entry(entry);
    this.#remaining = entry.size;
    this.#padding = paddingFor(entry.size);
    if (entry.size === 0) this.#finishBody();
    else this.#state = 'body';
  }

  #assemble(header: RawHeader): TarEntry {
    const pax = { ...this.#global, ...this.#local };
    const type = header.type as EntryType;
    const path = this.#checkName('path', this.#local.path ?? this.#longName ?? header.name);
    const linkname = this.#checkName(
      'link target',
      this.#local.linkpath ?? this.#longLink ?? header.linkname,
    );
    const xattrs = new Map([...(this.#global.xattrs ?? []), ...(this.#local.xattrs ?? [])]);
    return {
      index: this.#index,
      path,
      type,
      mode: header.mode & 0o7777,
      uid: pax.uid ?? header.uid,
      gid: pax.gid ?? header.gid,
      uname: pax.uname ?? header.uname,
      gname: pax.gname ?? header.gname,
      // Like Go's archive/tar: only regular files carry a body, whatever the size field says.
      size: type === 'file' ? (this.#local.size ?? header.size) : 0,
      mtime: pax.mtime ?? header.mtime,
      atime: pax.atime,
      linkname,
      devmajor: header.devmajor,
      devminor: header.devminor,
      xattrs,
    };
  }

  #checkName(what: string, name: string): string {
    const where = `entry #${this.#index} '${printable(name.slice(0, 200))}'`;
    if (name.includes('\0')) throw invalidLayer(`${what} contains a NUL byte (${where})`);
    if (Buffer.byteLength(name) > this.#limits.maxNameBytes) {
      throw invalidLayer(`${what} longer than ${this.#limits.maxNameBytes} bytes (${where})`);
    }
    return name;
  }
}

/** A global header's path, linkpath and size make no sense for every later entry; they are ignored. */
function mergeGlobal(global: PaxRecords, next: PaxRecords): PaxRecords {
  const { path: _path, linkpath: _linkpath, size: _size, ...rest } = next;
  const xattrs = new Map([...(global.xattrs ?? []), ...(rest.xattrs ?? [])]);
  return { ...global, ...rest, xattrs };
}

function paddingFor(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
