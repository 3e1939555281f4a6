import type { Digest } from '../content/index.ts';

/** A pointer to content: what it is, its digest and size (OCI descriptor). */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** An OS/architecture pair, as in an index entry (`linux/amd64`, `linux/arm64/v8`). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** A single-platform image manifest (OCI image manifest or Docker v2 schema 2). */
export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  schemaVersion: 2;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** A multi-platform index (OCI image index or Docker manifest list). */
export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  schemaVersion: 2;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export type ParsedManifest = ImageManifest | ImageIndex;
