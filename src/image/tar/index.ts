export type { TarEntriesOptions, TarStreamEntry } from './entries.ts';
/** Reads a tar stream entry by entry, each body an async stream (archive load and import). */
export { tarEntries } from './entries.ts';
export { invalidLayer, tarErrorReason } from './errors.ts';
export type { EntryType } from './header.ts';
export { isTarHeader, printable } from './header.ts';
export type { TarEntry, TarLimits, TarSink } from './reader.ts';
export { DEFAULT_TAR_LIMITS, TarReader } from './reader.ts';
