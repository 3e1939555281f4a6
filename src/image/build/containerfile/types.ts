// The parsed form of a Containerfile/Dockerfile: stages of instructions, each with its source line.

/** One logical line of the file: the instruction keyword (upper case), its flags and its arguments. */
export interface RawInstruction {
  keyword: string;
  /** `--name=value` flags given before the arguments (COPY --from=x, FROM --platform=y). */
  flags: Record<string, string>;
  /** The text after the keyword and flags, continuation lines joined. */
  text: string;
  /** The arguments in exec (JSON array) form, when the text is a JSON array of strings. */
  json: string[] | undefined;
  /** 1-based line of the keyword in the file. */
  line: number;
  /** The instruction as written (one line), for history and progress output. */
  original: string;
}

/** A `FROM … [AS name]` and the instructions up to the next FROM. */
export interface Stage {
  index: number;
  /** The `AS` name, lower case, if any. */
  name: string | undefined;
  /** The image reference as written (before ARG substitution), `scratch`, or a stage name. */
  base: string;
  platform: string | undefined;
  from: RawInstruction;
  instructions: RawInstruction[];
}

export interface Containerfile {
  /** Path shown in error messages. */
  file: string;
  escape: '\\' | '`';
  /** ARG instructions before the first FROM (the global scope, usable in FROM lines). */
  globalArgs: RawInstruction[];
  stages: Stage[];
}

/** The instructions Berth understands. */
export const INSTRUCTIONS = [
  'FROM',
  'RUN',
  'COPY',
  'ADD',
  'ENV',
  'ARG',
  'WORKDIR',
  'USER',
  'EXPOSE',
  'LABEL',
  'ENTRYPOINT',
  'CMD',
  'SHELL',
  'VOLUME',
  'STOPSIGNAL',
  'MAINTAINER',
] as const;
