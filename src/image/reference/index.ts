export type { ImageReference } from './parse.ts';
export {
  DEFAULT_REGISTRY,
  DEFAULT_TAG,
  familiarName,
  formatReference,
  manifestSelector,
  parseReference,
  repositoryName,
} from './parse.ts';
