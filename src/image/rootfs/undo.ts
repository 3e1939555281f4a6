/** Undo actions run in reverse order (Incus's reverter); every one runs even when some fail. */
export class Undo {
  readonly #steps: (() => Promise<void> | void)[] = [];
  readonly #what: string;

  /** `what` names the set-up in the error when undoing fails: `the build step`. */
  constructor(what: string) {
    this.#what = what;
  }

  add(step: () => Promise<void> | void): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.#steps.reverse()) {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    }
    this.#steps.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, `cleaning up ${this.#what} failed`);
  }
}
