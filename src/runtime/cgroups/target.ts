import { BerthError, type Logger } from '../../core/index.ts';

/**
 * Where resource settings go: named controllers' interface files. The v1 target maps each
 * controller to its hierarchy's directory; the v2 target maps all of them to one directory.
 */
export interface ResourceTarget {
  /** Writes a value, or fails with ERR_RUNTIME_CGROUP_UNSUPPORTED when the controller is absent. */
  write(controller: string, file: string, value: string | number): Promise<void>;
  has(controller: string, file: string): Promise<boolean>;
  read(controller: string, file: string): Promise<string>;
  readonly log: Logger;
}

/** A value was requested that this host's cgroups cannot take. */
export function unsupported(what: string, hint: string): BerthError {
  return new BerthError({
    code: 'ERR_RUNTIME_CGROUP_UNSUPPORTED',
    category: 'FailedPrecondition',
    message: `cannot set ${what}`,
    hint,
  });
}

/** A value that no cgroup version accepts. */
export function invalidResource(what: string, hint: string): BerthError {
  return new BerthError({
    code: 'ERR_RUNTIME_CGROUP_RESOURCE',
    category: 'InvalidArgument',
    message: `invalid resources: ${what}`,
    hint,
  });
}

/** Is a number present and not the OCI "unset" zero? */
export function isSet(value: number | undefined): value is number {
  return value !== undefined && value !== 0;
}
