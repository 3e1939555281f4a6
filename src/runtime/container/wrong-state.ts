import { BerthError } from '../../core/index.ts';
import type { ContainerStatus } from '../spec/index.ts';

/** An operation the container's lifecycle status does not allow (runtime-spec "Lifecycle"). */
export function wrongState(verb: string, id: string, status: ContainerStatus, hint?: string): BerthError {
  return new BerthError({
    code: 'ERR_RUNTIME_WRONG_STATE',
    category: 'FailedPrecondition',
    message: `cannot ${verb} container '${id}': it is ${status}`,
    hint: hint ?? `run 'berth-runtime state ${id}' to see its status`,
  });
}
