export { invalidLayer } from './errors.ts';
export type { EntryType } from './header.ts';
export { printable } from './header.ts';
export type { TarEntry, TarLimits, TarSink } from './reader.ts';
export { DEFAULT_TAR_LIMITS, TarReader } from './reader.ts';
