// Frames of native/channel.h (`u32:len` little-endian, then NUL-separated fields): how the C
// helper and front-ends talk to Node.
import type { Socket } from 'node:net';

/** One frame of native/channel.h: `u32:len` then the fields joined by NUL. */
export function frame(fields: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  fields.forEach((f, i) => {
    if (i > 0) parts.push(Buffer.from([0]));
    parts.push(typeof f === 'string' ? Buffer.from(f) : f);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

/** Reads frames off a stream socket; `next()` resolves to each frame's fields, or null at the end. */
export class FrameReader {
  #buffer = Buffer.alloc(0);
  #queue: (Buffer[] | null)[] = [];
  #waiters: ((m: Buffer[] | null) => void)[] = [];
  #ended = false;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    const end = () => {
      if (this.#ended) return;
      this.#ended = true;
      this.#push(null);
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  next(): Promise<Buffer[] | null> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift() ?? null);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #push(message: Buffer[] | null): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(message);
    else this.#queue.push(message);
  }

  #drain(): void {
    while (this.#buffer.length >= 4) {
      const len = this.#buffer.readUInt32LE(0);
      if (this.#buffer.length < 4 + len) return;
      const body = this.#buffer.subarray(4, 4 + len);
      this.#buffer = this.#buffer.subarray(4 + len);
      this.#push(splitFields(body));
    }
  }
}

function splitFields(body: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let start = 0;
  for (let at = body.indexOf(0); at >= 0; at = body.indexOf(0, start)) {
    fields.push(body.subarray(start, at));
    start = at + 1;
  }
  fields.push(body.subarray(start));
  return fields;
}
