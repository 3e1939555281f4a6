export { BUSYBOX_IMAGE, buildBusyboxImage, busyboxFiles } from './busybox.ts';
export type { DebianBuildOptions } from './debian.ts';
export { buildDebianImage, DEBIAN_IMAGE, DEBIAN_SUITE, discoverMirror } from './debian.ts';
export { BUILT_IN_BASE_IMAGES, builtInBaseImage, ensureBaseImage } from './ensure.ts';
export type { BaseHost } from './host.ts';
export { localHost } from './host.ts';
export type { AptSource } from './mirror.ts';
export { chooseMirror, parseDeb822Sources, parseOneLineSources } from './mirror.ts';
export type { BaseImageDeps } from './types.ts';
