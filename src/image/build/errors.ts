// The build's errors: each names the file and line, or the step, at fault.
import { BerthError, type ErrorCategory } from '../../core/index.ts';

/** A Containerfile that cannot be parsed: `Containerfile:7: unknown instruction 'RUNN'`. */
export function syntaxError(
  where: { file: string; line: number },
  message: string,
  hint?: string,
): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_BUILD_SYNTAX',
    category: 'InvalidArgument',
    message: `${where.file}:${where.line}: ${message}`,
    hint: hint ?? 'see https://docs.docker.com/reference/dockerfile/ for the syntax',
  });
}

export function buildError(options: {
  code: string;
  message: string;
  hint?: string;
  category?: ErrorCategory;
  cause?: unknown;
}): BerthError {
  return new BerthError({ category: 'InvalidArgument', ...options });
}

/** A COPY/ADD source that would read outside the build context. */
export function contextEscape(source: string, why: string): BerthError {
  return buildError({
    code: 'ERR_IMAGE_BUILD_CONTEXT_ESCAPE',
    message: `'${source}' is outside the build context: ${why}`,
    hint: 'COPY and ADD only read files inside the context directory; move the file into it',
  });
}
