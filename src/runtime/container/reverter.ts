/** Undo steps of a multi-step set-up, run in reverse when it fails (Incus's revert.Reverter). */
export class Reverter {
  #undo: (() => unknown)[] = [];

  add(undo: () => unknown): void {
    this.#undo.push(undo);
  }

  /** Runs every undo step, newest first; an undo that fails does not stop the others. */
  async revert(): Promise<void> {
    for (const undo of this.#undo.reverse()) {
      try {
        await undo();
      } catch {
        // Best effort: the original failure is the one to report.
      }
    }
    this.#undo = [];
  }

  /** Keeps what was set up: the operation succeeded. */
  success(): void {
    this.#undo = [];
  }
}
