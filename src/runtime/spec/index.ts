export {
  CAPABILITIES,
  DEFAULT_CAPABILITIES,
  isCapabilityName,
  LAST_CAPABILITY,
  parseCapability,
} from './capabilities.ts';
export type { DefaultSpecOptions } from './defaults.ts';
export { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './defaults.ts';
export { RLIMIT_TYPES, RLIMITS } from './rlimits.ts';
export type * from './types.ts';
export { NAMESPACE_TYPES } from './validate-linux.ts';

import { defaultSeccompProfile } from '../seccomp/index.ts';
import { buildDefaultSpec, type DefaultSpecOptions } from './defaults.ts';
import type { Spec } from './types.ts';
import { validate } from './validate.ts';

/** Checks a parsed config.json; throws ERR_RUNTIME_SPEC_INVALID naming the JSON path at fault. */
export function validateSpec(raw: unknown): Spec {
  return validate(raw);
}

/** The config.json `berth-runtime spec` writes: runc's template with Docker's hardening. */
export function defaultSpec(options: Omit<DefaultSpecOptions, 'seccomp'> = {}): Spec {
  return buildDefaultSpec({ ...options, seccomp: defaultSeccompProfile() });
}
