export { parseContainerfile } from './parse.ts';
export type { Containerfile, RawInstruction, Stage } from './types.ts';
export type { Escape, Lookup } from './words.ts';
export { expandWord, expandWords, parsePairs, splitRawWords, WordError } from './words.ts';
