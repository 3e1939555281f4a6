// The build's errors: each names the file and line, or the step, at fault.
import {
  BerthError,
  DiskFullError,
  diskFullError,
  type ErrorCategory,
  isDiskFull,
} from '../../core/index.ts';
import type { RawInstruction } from './containerfile/index.ts';

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

/** How errors name a step: `step 2/3 'RUN make' (Containerfile:4)`. */
export function stepName(at: { step: number; total: number; file: string }, ins: RawInstruction): string {
  return `step ${at.step}/${at.total} '${ins.original}' (${at.file}:${ins.line})`;
}

/**
 * A full disk during a step names what was being written and the step; a write no one named
 * gets its path. Other errors pass through.
 */
export function diskFullInStep(err: unknown, step: string): unknown {
  if (!isDiskFull(err)) return err;
  if (err instanceof DiskFullError) return diskFullError(`${err.what} in ${step}`, err.cause ?? err);
  const path = (err as { path?: unknown }).path;
  return diskFullError(`${typeof path === 'string' ? path : 'a file'} in ${step}`, err);
}
