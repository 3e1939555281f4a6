// The pull face of the tar reader: entries come out one at a time with their body as an async
// stream, so a consumer can write a multi-GB member to disk with back-pressure. The source is
// pulled only when what the last chunk held has been handed out; bodies are never copied.
import { type TarEntry, type TarLimits, TarReader } from './reader.ts';

/** A tar entry with its body; read `body` before asking for the next entry, or it is skipped. */
export interface TarStreamEntry extends TarEntry {
  body: AsyncIterable<Buffer>;
}

export interface TarEntriesOptions {
  limits?: Partial<TarLimits>;
  /** The error for a stream that ends inside an entry (default: the reader's own). */
  truncated?: (offset: number) => Error;
}

type Event = { entry: TarEntry } | { data: Buffer } | 'end';

/** Reads the entries of an uncompressed tar stream. */
export async function* tarEntries(
  source: AsyncIterable<Uint8Array>,
  options: TarEntriesOptions = {},
): AsyncGenerator<TarStreamEntry> {
  const events: Event[] = [];
  let next = 0;
  const reader = new TarReader(
    {
      entry: (entry) => events.push({ entry }),
      data: (data) => events.push({ data }),
      entryEnd: () => events.push('end'),
    },
    options.limits,
  );
  const input = source[Symbol.asyncIterator]();
  let offset = 0;
  const pull = async (): Promise<Event | undefined> => {
    while (next === events.length) {
      events.length = 0;
      next = 0;
      if (reader.done) return undefined;
      const chunk = await input.next();
      if (chunk.done) {
        if (reader.truncated && options.truncated) throw options.truncated(offset);
        reader.end();
        return undefined;
      }
      const { buffer, byteOffset, byteLength } = chunk.value;
      reader.push(Buffer.isBuffer(chunk.value) ? chunk.value : Buffer.from(buffer, byteOffset, byteLength));
      offset += byteLength;
    }
    return events[next++];
  };
  try {
    for (let event = await pull(); event !== undefined; event = await pull()) {
      // Data and ends here belong to a body the consumer left unread.
      if (typeof event === 'object' && 'entry' in event) yield { ...event.entry, body: bodyOf(pull) };
    }
  } finally {
    await input.return?.();
  }
}

async function* bodyOf(pull: () => Promise<Event | undefined>): AsyncGenerator<Buffer> {
  for (let event = await pull(); event !== undefined && event !== 'end'; event = await pull()) {
    if ('data' in event) yield event.data;
  }
}
