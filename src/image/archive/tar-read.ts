// Archive load and import read tars with the same reader unpack uses (src/image/tar), through its
// pull face; this file words its errors as archive errors and gives members the shape loaders use.
import { type TarStreamEntry, tarEntries, tarErrorReason } from '../tar/index.ts';
import { invalidArchive } from './errors.ts';

export { isTarHeader } from '../tar/index.ts';

export type TarMemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

/** One archive member; read `body` before asking for the next member, or it is skipped. */
export interface TarMember {
  name: string;
  type: TarMemberType;
  size: number;
  mode: number;
  linkname: string;
  body: AsyncIterable<Buffer>;
}

export interface TarReadLimits {
  /** Largest PAX extended header (default 1 MiB). */
  maxMetaBytes: number;
  /** Largest member accepted (default 1 TiB): a bigger size field is corruption, not data. */
  maxMemberBytes: number;
}

const DEFAULT_LIMITS: TarReadLimits = { maxMetaBytes: 1 << 20, maxMemberBytes: 2 ** 40 };

/** Reads tar members from an uncompressed stream; `what` names the archive in errors. */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  options: { what: string; limits?: Partial<TarReadLimits> },
): AsyncGenerator<TarMember> {
  const { what } = options;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const entries = tarEntries(source, {
    limits: { maxPaxBytes: limits.maxMetaBytes, maxFileBytes: limits.maxMemberBytes },
    truncated: (offset) =>
      invalidArchive(
        what,
        `archive ends early, at byte ${offset}`,
        'the file was cut short; nothing was loaded',
      ),
  });
  try {
    for await (const entry of entries) yield memberOf(entry, what);
  } catch (err) {
    throw asArchiveError(err, what);
  }
}

function memberOf(entry: TarStreamEntry, what: string): TarMember {
  const { type } = entry;
  return {
    name: entry.path,
    type: type === 'file' || type === 'dir' || type === 'symlink' || type === 'hardlink' ? type : 'other',
    size: entry.size,
    mode: entry.mode,
    linkname: entry.linkname,
    body: archiveErrors(entry.body, what),
  };
}

async function* archiveErrors(body: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  try {
    yield* body;
  } catch (err) {
    throw asArchiveError(err, what);
  }
}

function asArchiveError(err: unknown, what: string): unknown {
  const reason = tarErrorReason(err);
  return reason === undefined ? err : invalidArchive(what, reason);
}
