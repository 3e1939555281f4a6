import { BerthError } from '../../core/index.ts';
import { type Digest, parseDigest } from '../content/index.ts';

/**
 * The `config` object of an image config as written on the wire (Docker's field names); fields
 * Berth does not know are kept as they were.
 */
export interface ConfigFields {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
  StopSignal?: string;
  Shell?: string[];
  [field: string]: unknown;
}

/** One step of an image's history (`docker history`). */
export interface HistoryEntry {
  created?: string;
  createdBy?: string;
  comment?: string;
  emptyLayer: boolean;
}

/** The parts of an image config (OCI image-spec `config` / Docker image JSON) Berth uses. */
export interface ImageConfig {
  os: string;
  architecture: string;
  variant?: string;
  created?: string;
  author?: string;
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  user: string;
  /** `80/tcp`, `53/udp`. */
  exposedPorts: string[];
  volumes: string[];
  labels: Record<string, string>;
  stopSignal?: string;
  history: HistoryEntry[];
  /** Digests of the uncompressed layers, bottom first (`rootfs.diff_ids`). */
  diffIds: Digest[];
}

/** Parses and validates an image config blob. */
export function parseImageConfig(bytes: Uint8Array, what = 'image config'): ImageConfig {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalidConfig(what, `it is not JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw invalidConfig(what, 'it is not an object');
  const rootfs = record(doc.rootfs);
  if (rootfs?.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw invalidConfig(what, "rootfs must be {type: 'layers', diff_ids: [...]}");
  }
  const c = record(doc.config) ?? {};
  const config: ImageConfig = {
    os: stringOr(doc.os, ''),
    architecture: stringOr(doc.architecture, ''),
    env: strings(c.Env, `${what} Env`),
    entrypoint: strings(c.Entrypoint, `${what} Entrypoint`),
    cmd: strings(c.Cmd, `${what} Cmd`),
    workingDir: stringOr(c.WorkingDir, ''),
    user: stringOr(c.User, ''),
    exposedPorts: Object.keys(record(c.ExposedPorts) ?? {}),
    volumes: Object.keys(record(c.Volumes) ?? {}),
    labels: stringRecord(c.Labels),
    history: (Array.isArray(doc.history) ? doc.history : []).map(historyEntry),
    diffIds: rootfs.diff_ids.map((d, i) => parseDigest(d, `${what} rootfs.diff_ids[${i}]`)),
  };
  if (typeof doc.variant === 'string') config.variant = doc.variant;
  if (typeof doc.created === 'string') config.created = doc.created;
  if (typeof doc.author === 'string') config.author = doc.author;
  if (typeof c.StopSignal === 'string') config.stopSignal = c.StopSignal;
  return config;
}

function historyEntry(value: unknown): HistoryEntry {
  const h = record(value) ?? {};
  const entry: HistoryEntry = { emptyLayer: h.empty_layer === true };
  if (typeof h.created === 'string') entry.created = h.created;
  if (typeof h.created_by === 'string') entry.createdBy = h.created_by;
  if (typeof h.comment === 'string') entry.comment = h.comment;
  return entry;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function strings(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw invalidConfig(what, 'expected an array of strings');
  }
  return value;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

function invalidConfig(what: string, why: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_CONFIG_INVALID',
    category: 'InvalidArgument',
    message: `${what} is invalid: ${why}`,
  });
}
