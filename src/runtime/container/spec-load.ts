import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BerthError, isErrno } from '../../core/index.ts';
import type { Spec } from '../spec/index.ts';
// validate.ts directly: spec/index.ts also loads the seccomp profile tables, which `create` of a
// container without seccomp never needs (start time).
import { validate } from '../spec/validate.ts';

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
  return validate(raw as never);
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
