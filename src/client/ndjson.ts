import { BerthError } from '../core/index.ts';
import { badResponse } from './wire.ts';

/**
 * Parses a stream of JSON lines as berthd sends them. A line that is not JSON is a bad response;
 * a stream that stops in the middle of a line is reported as cut short.
 */
export async function* parseJsonLines(
  chunks: AsyncIterable<Buffer | string>,
  what: string,
): AsyncGenerator<unknown> {
  let pending = '';
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield parseLine(line, what);
      newline = pending.indexOf('\n');
    }
  }
  if (pending.trim() !== '') throw streamCutShort(what);
}

function parseLine(line: string, what: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw badResponse(what, `a line that is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
}

/**
 * The daemon's answer ended before its last line. With a `cause` the connection broke (berthd
 * stopped or was killed mid-answer: the kernel closes its socket); without, the stream ended.
 */
export function streamCutShort(
  what: string,
  options: { cause?: unknown; hint?: string | undefined } = {},
): BerthError {
  return new BerthError({
    code: 'ERR_CLIENT_STREAM_TRUNCATED',
    category: 'Unavailable',
    message:
      options.cause === undefined
        ? `${what}: the answer from berthd ended before the operation finished`
        : `${what}: berthd went away before it finished (it stopped or was killed)`,
    hint: options.hint ?? 'berthd may have stopped or restarted: check its log, then try again',
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}
