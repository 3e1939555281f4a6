import type { StateStore } from '../state/index.ts';

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
  stdout(text: string): void;
  warn(message: string): void;
}

/** One runc-compatible verb; `run` returns the process exit code. */
export interface Verb {
  usage: string;
  summary: string;
  run(ctx: VerbContext): Promise<number>;
}
