// Where a command's input and output come from: this process (bin/berth's slow path), or the
// caller of the resident CLI host (src/cli/host), whose environment, directory and terminal differ
// from the host's own. A command the host runs takes all of them from here, never from `process`.

/** Text output to the user's stdout or stderr. */
export interface CliOutput {
  write(text: string): void;
  /** Whether it is a terminal (progress bars redraw in place only on one). */
  readonly isTTY: boolean;
  /** The terminal's width, when it is one. */
  readonly columns?: number;
}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** The caller's working directory: relative paths in arguments resolve against it. */
  cwd: string;
  stdout: CliOutput;
  stderr: CliOutput;
  /** Aborts when the caller has gone away (Ctrl-C on the front-end): the command stops its work. */
  signal?: AbortSignal;
}

/**
 * This process's own environment, directory and streams. `process.stdout`/`stderr` are touched
 * only when written to: making one loads stream code that a command with no output never needs.
 */
export function processIo(): CliIo {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: processOutput(() => process.stdout),
    stderr: processOutput(() => process.stderr),
  };
}

function processOutput(stream: () => NodeJS.WriteStream): CliOutput {
  return {
    write: (text) => {
      stream().write(text);
    },
    get isTTY() {
      return stream().isTTY === true;
    },
    get columns() {
      return stream().columns;
    },
  };
}
