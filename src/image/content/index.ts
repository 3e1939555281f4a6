export { syncDirectory, tempPathFor, writeFileAtomic } from './atomic.ts';
export { useBlobWriterThreads } from './blob-writers.ts';
export type { Digest } from './digest.ts';
export { digestHex, digestMismatch, digestOf, isDigest, parseDigest } from './digest.ts';
export type { BlobInfo, IngestOptions, OpenAt, OpenedSource, WrittenBlob } from './store.ts';
export { ContentStore } from './store.ts';
export type { ExpectedBlob } from './verify.ts';
