export type { IgnoreMatcher } from './ignore.ts';
export { compileIgnore, hasWildcard, patternRegex } from './ignore.ts';
export type { SelectedSource, SourceEntry, SourceTree } from './sources.ts';
export { hashSources, selectSources } from './sources.ts';
export type { Tree } from './tree.ts';
export { lstatOrUndefined, resolveInTree } from './tree.ts';
