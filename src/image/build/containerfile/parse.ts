// Containerfile/Dockerfile syntax: parser directives, comments, line continuations with the
// escape character, instructions with flags, JSON (exec) and shell forms, stages.
import { syntaxError } from '../errors.ts';
import { type Containerfile, INSTRUCTIONS, type RawInstruction, type Stage } from './types.ts';

const KNOWN = new Set<string>(INSTRUCTIONS);
/** Real Dockerfile instructions Berth does not implement: named as such, not as unknown. */
const UNSUPPORTED = new Set(['HEALTHCHECK', 'ONBUILD']);
const WITH_FLAGS = new Set(['FROM', 'RUN', 'COPY', 'ADD']);
const STAGE_NAME = /^[a-z][a-z0-9_.-]*$/;

/** Parses a Containerfile; `file` names it in errors (`Containerfile:3: …`). */
export function parseContainerfile(source: string, file = 'Containerfile'): Containerfile {
  const lines = source.split(/\r?\n/);
  const { escape: esc, first } = directives(lines, file);
  const instructions = logicalLines(lines, first, esc).map((l) => instruction(l, file));
  return group(instructions, { file, escape: esc });
}

/** `# escape=` (and other `# key=value` directives) at the very top of the file. */
function directives(lines: string[], file: string): { escape: '\\' | '`'; first: number } {
  let esc: '\\' | '`' = '\\';
  let i = 0;
  for (; i < lines.length; i++) {
    const match = /^\s*#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(\S+)\s*$/.exec(lines[i]!);
    if (!match) break;
    if (match[1]!.toLowerCase() === 'escape') {
      if (match[2] !== '\\' && match[2] !== '`') {
        throw syntaxError({ file, line: i + 1 }, `invalid escape character '${match[2]}'`);
      }
      esc = match[2];
    }
  }
  return { escape: esc, first: i };
}

interface LogicalLine {
  text: string;
  line: number;
}

/** Joins continuation lines; drops comments and blank lines (also inside a continuation). */
function logicalLines(lines: string[], first: number, esc: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let current: LogicalLine | undefined;
  for (let i = first; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const continues = raw.trimEnd().endsWith(esc);
    const text = continues ? raw.trimEnd().slice(0, -1) : raw;
    if (current) current.text += text;
    else current = { text: text.trimStart(), line: i + 1 };
    if (!continues) {
      out.push(current);
      current = undefined;
    }
  }
  if (current) out.push(current);
  return out;
}

function instruction(l: LogicalLine, file: string): RawInstruction {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(l.text)!;
  const keyword = match[1]!.toUpperCase();
  const where = { file, line: l.line };
  if (UNSUPPORTED.has(keyword)) throw syntaxError(where, `${keyword} is not supported by berth build`);
  if (!KNOWN.has(keyword)) {
    throw syntaxError(where, `unknown instruction '${match[1]}'`, `known: ${INSTRUCTIONS.join(' ')}`);
  }
  let rest = match[2]!.trim();
  const flags: Record<string, string> = {};
  while (WITH_FLAGS.has(keyword) && rest.startsWith('--')) {
    const token = /^--(\S+)/.exec(rest)?.[1];
    if (token === undefined) throw syntaxError(where, `${keyword}: empty flag '--'`);
    const eq = token.indexOf('=');
    const name = eq === -1 ? token : token.slice(0, eq);
    if (name === '') throw syntaxError(where, `${keyword}: empty flag '--${token}'`);
    flags[name] = eq === -1 ? 'true' : token.slice(eq + 1);
    rest = rest.slice(token.length + 2).trimStart();
  }
  if (rest === '') throw syntaxError(where, `${keyword} requires at least one argument`);
  const flagText = Object.entries(flags).map(([k, v]) => `--${k}=${v} `);
  return {
    keyword,
    flags,
    text: rest,
    json: jsonForm(rest),
    line: l.line,
    original: `${keyword} ${flagText.join('')}${rest.replace(/\s*\n\s*/g, ' ')}`,
  };
}

/** The exec form: a JSON array of strings; anything else is the shell form. */
function jsonForm(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return parsed;
  } catch {}
  return undefined;
}

function group(instructions: RawInstruction[], meta: { file: string; escape: '\\' | '`' }): Containerfile {
  const out: Containerfile = { ...meta, globalArgs: [], stages: [] };
  for (const ins of instructions) {
    const stage = out.stages[out.stages.length - 1];
    if (ins.keyword === 'FROM') out.stages.push(fromStage(ins, out));
    else if (stage) stage.instructions.push(ins);
    else if (ins.keyword === 'ARG') out.globalArgs.push(ins);
    else {
      throw syntaxError(
        { file: meta.file, line: ins.line },
        `${ins.keyword} before the first FROM`,
        'only ARG may come before the first FROM',
      );
    }
  }
  if (out.stages.length === 0) {
    throw syntaxError(
      { file: meta.file, line: instructions.length ? instructions[0]!.line : 1 },
      'no FROM instruction',
    );
  }
  return out;
}

function fromStage(ins: RawInstruction, file: Containerfile): Stage {
  const where = { file: file.file, line: ins.line };
  for (const flag of Object.keys(ins.flags)) {
    if (flag !== 'platform') throw syntaxError(where, `FROM: unknown flag --${flag}`);
  }
  const words = ins.text.split(/\s+/);
  if (words.length !== 1 && !(words.length === 3 && words[1]!.toLowerCase() === 'as')) {
    throw syntaxError(where, `FROM expects 'IMAGE [AS NAME]', got '${ins.text}'`);
  }
  const name = words[2]?.toLowerCase();
  if (name !== undefined) {
    if (!STAGE_NAME.test(name)) throw syntaxError(where, `invalid stage name '${words[2]}'`);
    if (file.stages.some((s) => s.name === name)) throw syntaxError(where, `duplicate stage name '${name}'`);
  }
  return {
    index: file.stages.length,
    name,
    base: words[0]!,
    platform: ins.flags.platform,
    from: ins,
    instructions: [],
  };
}
