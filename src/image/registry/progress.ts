import type { Digest } from '../content/index.ts';

/** One step of a pull or push, for progress bars: which blob, how far, in what state. */
export interface TransferProgress {
  kind: 'manifest' | 'config' | 'layer';
  digest: Digest;
  size: number;
  done: number;
  status: 'waiting' | 'downloading' | 'uploading' | 'exists' | 'mounted' | 'done';
}

/**
 * Runs `work` over `items` with at most `limit` at a time. After a failure no new item starts;
 * the ones running are awaited, then the first error is thrown (nothing runs on afterwards).
 */
export async function runBounded<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
