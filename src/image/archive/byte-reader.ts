/** Pulls exact byte counts out of a chunked async stream, with as little copying as it can. */
export class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Reads exactly `n` bytes; returns fewer only when the stream ends first. */
  async read(n: number): Promise<Buffer> {
    while (this.#buffered < n && (await this.#fill()));
    const take = Math.min(n, this.#buffered);
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const out = all.subarray(0, take);
    const rest = all.subarray(take);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    this.position += take;
    return out;
  }

  /** Yields the next `n` bytes in chunks; stops early when the stream ends (the caller counts). */
  async *stream(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.#buffered === 0 && !(await this.#fill())) return;
      const head = this.#chunks[0]!;
      const piece = head.length <= left ? head : head.subarray(0, left);
      if (piece === head) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(left);
      this.#buffered -= piece.length;
      this.position += piece.length;
      left -= piece.length;
      yield piece;
    }
  }

  /** Discards `n` bytes; returns how many were really there. */
  async skip(n: number): Promise<number> {
    let skipped = 0;
    for await (const piece of this.stream(n)) skipped += piece.length;
    return skipped;
  }

  /** Stops reading the source (closes a file or socket behind it). */
  async close(): Promise<void> {
    await this.#source.return?.();
  }

  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#source.next();
    if (next.done) {
      this.#ended = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value)
      ? next.value
      : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    return true;
  }
}
