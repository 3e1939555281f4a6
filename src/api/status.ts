import type { ErrorCategory } from '../core/index.ts';

/** The one place an error category becomes an HTTP status (Incus's SmartError). */
export function httpStatusFor(category: ErrorCategory): number {
  switch (category) {
    case 'NotFound':
      return 404;
    case 'AlreadyExists':
    case 'Conflict':
      return 409;
    case 'InvalidArgument':
      return 400;
    case 'FailedPrecondition':
      return 412;
    case 'Unavailable':
      return 503;
    case 'Internal':
      return 500;
  }
}
