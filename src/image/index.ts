// Public surface of the image domain. Each part's own index.ts lists its exports.

export * from './archive/index.ts';
export * from './base/index.ts';
export * from './content/index.ts';
export * from './manifest/index.ts';
export * from './reference/index.ts';
export * from './registry/index.ts';
export * from './store/index.ts';
