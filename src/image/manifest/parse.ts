import { BerthError } from '../../core/index.ts';
import { parseDigest } from '../content/index.ts';
import {
  CONFIG_MEDIA_TYPES,
  IMAGE_MANIFEST_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  layerCompression,
  MediaType,
} from './media-types.ts';
import type { Descriptor, ImageIndex, ImageManifest, ParsedManifest, Platform } from './types.ts';

/** Manifests larger than this are refused before parsing (the distribution spec suggests 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const SCHEMA1 = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)$/;

/**
 * Parses manifest bytes. The media type comes from the document's `mediaType` field, else from
 * `contentType` (the HTTP header), else from its shape (OCI allows omitting the field).
 */
export function parseManifest(
  bytes: Uint8Array,
  options: { contentType?: string; what?: string } = {},
): ParsedManifest {
  const what = options.what ?? 'manifest';
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw manifestTooLarge(what, bytes.byteLength);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalidManifest(what, `it is not JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw invalidManifest(what, 'it is not an object');
  const mediaType = manifestMediaType(doc, options.contentType);
  if (!INDEX_MEDIA_TYPES.includes(mediaType) && !IMAGE_MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw unsupportedMediaType(what, mediaType);
  }
  if (doc.schemaVersion !== 2)
    throw invalidManifest(what, `schemaVersion is ${String(doc.schemaVersion)}, expected 2`);
  if (INDEX_MEDIA_TYPES.includes(mediaType)) return parseIndexDoc(doc, mediaType, what);
  return parseImageManifestDoc(doc, mediaType, what);
}

function manifestMediaType(doc: Record<string, unknown>, contentType: string | undefined): string {
  if (typeof doc.mediaType === 'string' && doc.mediaType !== '') return doc.mediaType;
  const header = contentType?.split(';')[0]?.trim();
  if (header && header !== 'application/json' && header !== 'application/octet-stream') return header;
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  if (typeof doc.config === 'object' && doc.config !== null) return MediaType.ociManifest;
  return header ?? 'unknown';
}

function parseImageManifestDoc(doc: Record<string, unknown>, mediaType: string, what: string): ImageManifest {
  const config = parseDescriptor(doc.config, `${what} config`);
  if (!CONFIG_MEDIA_TYPES.includes(config.mediaType))
    throw unsupportedMediaType(`${what} config`, config.mediaType);
  if (!Array.isArray(doc.layers)) throw invalidManifest(what, 'layers is not an array');
  const layers = doc.layers.map((layer, i) => parseDescriptor(layer, `${what} layer ${i}`));
  for (const [i, layer] of layers.entries()) {
    if (layerCompression(layer.mediaType) === undefined) {
      throw unsupportedMediaType(`${what} layer ${i}`, layer.mediaType);
    }
  }
  const manifest: ImageManifest = { kind: 'manifest', mediaType, schemaVersion: 2, config, layers };
  if (isStringRecord(doc.annotations)) manifest.annotations = doc.annotations;
  return manifest;
}

function parseIndexDoc(doc: Record<string, unknown>, mediaType: string, what: string): ImageIndex {
  if (!Array.isArray(doc.manifests)) throw invalidManifest(what, 'manifests is not an array');
  const manifests = doc.manifests.map((entry, i) => parseDescriptor(entry, `${what} entry ${i}`));
  const index: ImageIndex = { kind: 'index', mediaType, schemaVersion: 2, manifests };
  if (isStringRecord(doc.annotations)) index.annotations = doc.annotations;
  return index;
}

/** Validates one descriptor object. */
export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw invalidManifest(what, 'descriptor is not an object');
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '')
    throw invalidManifest(what, 'mediaType is missing');
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw invalidManifest(what, 'size is not a non-negative integer');
  }
  const descriptor: Descriptor = {
    mediaType: d.mediaType,
    digest: parseDigest(d.digest, `${what} digest`),
    size: d.size,
  };
  if (Array.isArray(d.urls)) descriptor.urls = d.urls.filter((u): u is string => typeof u === 'string');
  if (isStringRecord(d.annotations)) descriptor.annotations = d.annotations;
  if (typeof d.platform === 'object' && d.platform !== null)
    descriptor.platform = parsePlatformObject(d.platform, what);
  return descriptor;
}

function parsePlatformObject(value: object, what: string): Platform {
  const p = value as Record<string, unknown>;
  if (typeof p.os !== 'string' || typeof p.architecture !== 'string') {
    throw invalidManifest(what, 'platform needs os and architecture');
  }
  const platform: Platform = { os: p.os, architecture: p.architecture };
  if (typeof p.variant === 'string' && p.variant !== '') platform.variant = p.variant;
  if (typeof p['os.version'] === 'string') platform['os.version'] = p['os.version'];
  return platform;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/** Error for a manifest over MAX_MANIFEST_BYTES. */
export function manifestTooLarge(what: string, size: number): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_MANIFEST_TOO_LARGE',
    category: 'InvalidArgument',
    message: `${what} is ${size} bytes, more than the ${MAX_MANIFEST_BYTES}-byte limit`,
    hint: 'the registry served something that is not a normal manifest',
  });
}

function invalidManifest(what: string, why: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_MANIFEST_INVALID',
    category: 'InvalidArgument',
    message: `${what} is invalid: ${why}`,
  });
}

function unsupportedMediaType(what: string, mediaType: string): BerthError {
  const legacy = SCHEMA1.test(mediaType);
  return new BerthError({
    code: 'ERR_IMAGE_MEDIA_TYPE_UNSUPPORTED',
    category: 'InvalidArgument',
    message: `${what} has media type '${mediaType}', which berth does not support`,
    hint: legacy
      ? 'Docker schema 1 manifests are deprecated; push the image again with a current client'
      : 'supported: OCI image manifest/index and Docker v2 schema 2 manifest/list with tar, gzip or zstd layers',
  });
}
