import type { StartLauncher } from '../container/launcher.ts';
import type { StateStore } from '../state/index.ts';

/** Where a call comes from: the process itself (CLI), or a front-end's request (planner). */
export interface RuntimeIo {
  env: Readonly<Record<string, string | undefined>>;
  /** The caller's working directory; relative paths in arguments resolve against it. */
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Who executes launch plans; the native helper when absent. */
  launch?: StartLauncher;
}

export interface GlobalOptions {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
}

/** What a verb gets: global options, its own arguments, and where to write. */
export interface VerbContext {
  global: GlobalOptions;
  argv: string[];
  store: StateStore;
  /** The caller's working directory, its environment, and who executes launch plans. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  launch?: StartLauncher;
  stdout(text: string): void;
  warn(message: string): void;
}

/** One runc-compatible verb; `run` returns the process exit code. */
export interface Verb {
  usage: string;
  summary: string;
  run(ctx: VerbContext): Promise<number>;
}
