/**
 * Turns a callback-style job into an async stream: every event `run` emits while it works, then
 * `last(result)`. A failure of `run` is thrown to the reader after the events before it.
 * A reader that stops early leaves `run` going: cancel it through its own AbortSignal.
 */
export async function* eventStream<E, R>(
  run: (emit: (event: E) => void) => Promise<R>,
  last: (result: R) => E,
): AsyncGenerator<E> {
  let queue: E[] = [];
  let outcome: { ok: true; result: R } | { ok: false; error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  run((event) => {
    queue.push(event);
    notify();
  }).then(
    (result) => {
      outcome = { ok: true, result };
      notify();
    },
    (error: unknown) => {
      outcome = { ok: false, error };
      notify();
    },
  );
  for (;;) {
    if (queue.length > 0) {
      const batch = queue;
      queue = [];
      yield* batch;
      continue;
    }
    if (outcome?.ok === false) throw outcome.error;
    if (outcome?.ok) {
      yield last(outcome.result);
      return;
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
}
