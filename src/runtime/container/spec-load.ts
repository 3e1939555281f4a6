import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { BerthError, isErrno } from '../../core/index.ts';
import type { Spec } from '../spec/index.ts';

/** Reads and validates `<bundle>/config.json`. */
export function loadBundleSpec(bundle: string): Spec {
  const path = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BerthError({
      code: isErrno(err, 'ENOENT') ? 'ERR_RUNTIME_BUNDLE_NOT_FOUND' : 'ERR_RUNTIME_SPEC_INVALID',
      category: isErrno(err, 'ENOENT') ? 'NotFound' : 'InvalidArgument',
      message: `cannot read ${path}: ${(err as Error).message}`,
      hint: 'pass the bundle directory holding config.json with --bundle',
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return checkSpec(raw);
}

// Minimal structural checks until rt-seccomp's validateSpec lands; kept in this one place.
function checkSpec(raw: unknown): Spec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid('config.json: must be a JSON object');
  const spec = raw as Record<string, unknown>;
  if (typeof spec.ociVersion !== 'string') throw invalid('ociVersion: required string');
  const root = spec.root as Record<string, unknown> | undefined;
  if (typeof root?.path !== 'string') throw invalid('root.path: required string');
  const proc = spec.process as Record<string, unknown> | undefined;
  if (proc !== undefined) {
    if (typeof proc.cwd !== 'string' || !isAbsolute(proc.cwd))
      throw invalid('process.cwd: must be an absolute path');
    const user = proc.user as Record<string, unknown> | undefined;
    if (typeof user?.uid !== 'number' || typeof user.gid !== 'number')
      throw invalid('process.user: uid and gid required');
    if (!Array.isArray(proc.args) || proc.args.some((a) => typeof a !== 'string')) {
      throw invalid('process.args: must be an array of strings');
    }
  }
  if (spec.mounts !== undefined && !Array.isArray(spec.mounts)) throw invalid('mounts: must be an array');
  return raw as Spec;
}

/** The absolute root filesystem path; a missing one is an error naming it. */
export function resolveRootfs(spec: Spec, bundle: string): string {
  const rootfs = resolve(bundle, spec.root?.path ?? 'rootfs');
  let isDir = false;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch {}
  if (isDir) return rootfs;
  throw new BerthError({
    code: 'ERR_RUNTIME_ROOTFS_NOT_FOUND',
    category: 'NotFound',
    message: `root filesystem ${rootfs} does not exist or is not a directory`,
    hint: 'fix root.path in config.json or unpack the image into the bundle',
  });
}

function invalid(message: string): BerthError {
  return new BerthError({
    code: 'ERR_RUNTIME_SPEC_INVALID',
    category: 'InvalidArgument',
    message,
    hint: 'fix config.json in the bundle',
  });
}
