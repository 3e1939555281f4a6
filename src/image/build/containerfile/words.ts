// Dockerfile words: splitting on unquoted whitespace, quote removal, the escape character and
// variable substitution ($VAR, ${VAR}, ${VAR:-default}, ${VAR:+alt}, ${VAR:?error} and the
// forms without the colon), as moby's shell lexer does for ENV, LABEL, COPY, WORKDIR, …

/** Looks a variable up; undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

export type Escape = '\\' | '`';

/** Splits at unquoted, unescaped whitespace; quotes and escapes are kept for `expandWord`. */
export function splitRawWords(text: string, esc: Escape): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === undefined && /\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    word += ch;
    if (ch === esc && quote !== "'" && i + 1 < text.length) {
      word += text[++i];
    } else if (quote === undefined && (ch === '"' || ch === "'")) {
      quote = ch;
    } else if (ch === quote) {
      quote = undefined;
    }
  }
  if (quote !== undefined) throw new WordError(`unterminated ${quote === '"' ? 'double' : 'single'} quote`);
  if (inWord) words.push(word);
  return words;
}

/** A malformed word or a `${VAR:?message}` on an unset variable; the parser adds file:line. */
export class WordError extends Error {}

/** Removes quotes and escapes and substitutes variables in one word. */
export function expandWord(raw: string, lookup: Lookup, esc: Escape): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === esc && i + 1 < raw.length) {
      out += raw[i + 1];
      i += 2;
    } else if (ch === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end === -1) throw new WordError('unterminated single quote');
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      const [text, next] = doubleQuoted(raw, i + 1, lookup, esc);
      out += text;
      i = next;
    } else if (ch === '$') {
      const [text, next] = variable(raw, i, lookup, esc);
      out += text;
      i = next;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Splits a line into words, each with quotes removed and variables substituted. */
export function expandWords(text: string, lookup: Lookup, esc: Escape): string[] {
  return splitRawWords(text, esc).map((w) => expandWord(w, lookup, esc));
}

function doubleQuoted(raw: string, start: number, lookup: Lookup, esc: Escape): [string, number] {
  let out = '';
  let i = start;
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === '"') return [out, i + 1];
    if (ch === esc && i + 1 < raw.length) {
      const next = raw[i + 1]!;
      out += next === '"' || next === '$' || next === esc ? next : ch + next;
      i += 2;
    } else if (ch === '$') {
      const [text, after] = variable(raw, i, lookup, esc);
      out += text;
      i = after;
    } else {
      out += ch;
      i++;
    }
  }
  throw new WordError('unterminated double quote');
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** `$NAME` or `${…}` at `raw[start]` (a `$`): the value and the index after it. */
function variable(raw: string, start: number, lookup: Lookup, esc: Escape): [string, number] {
  if (raw[start + 1] !== '{') {
    const name = NAME.exec(raw.slice(start + 1))?.[0];
    if (name === undefined) return ['$', start + 1];
    return [lookup(name) ?? '', start + 1 + name.length];
  }
  const close = matchingBrace(raw, start + 2);
  const body = raw.slice(start + 2, close);
  const name = NAME.exec(body)?.[0];
  if (name === undefined) throw new WordError(`bad substitution '\${${body}}'`);
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') return [value ?? '', close + 1];
  const op = /^(:?[-+?])/.exec(rest)?.[1];
  if (op === undefined) throw new WordError(`unsupported modifier in '\${${body}}'`);
  const word = () => expandWord(rest.slice(op.length), lookup, esc);
  const unset = op.startsWith(':') ? value === undefined || value === '' : value === undefined;
  switch (op.replace(':', '')) {
    case '-':
      return [unset ? word() : value!, close + 1];
    case '+':
      return [unset ? '' : word(), close + 1];
    default:
      if (unset) throw new WordError(`${name}: ${word() || 'is not set'}`);
      return [value!, close + 1];
  }
}

function matchingBrace(raw: string, from: number): number {
  let depth = 1;
  for (let i = from; i < raw.length; i++) {
    if (raw[i] === '{') depth++;
    else if (raw[i] === '}' && --depth === 0) return i;
  }
  throw new WordError('missing } in variable substitution');
}

/** `KEY=VALUE` pairs (ENV, LABEL, ARG), or the legacy `KEY VALUE` form when `legacy` allows it. */
export function parsePairs(
  text: string,
  options: { lookup: Lookup; esc: Escape; legacy: boolean; valueRequired: boolean },
): [string, string | undefined][] {
  const words = splitRawWords(text, options.esc);
  if (options.legacy && words.length > 0 && !words[0]!.includes('=')) {
    const key = words[0]!;
    const rest = text.trimStart().slice(key.length).trim();
    if (rest === '') throw new WordError(`${key}: expected a value`);
    return [[key, expandWord(rest, options.lookup, options.esc)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq === -1) {
      if (options.valueRequired) throw new WordError(`'${w}' is not KEY=VALUE`);
      return [expandWord(w, options.lookup, options.esc), undefined];
    }
    const key = expandWord(w.slice(0, eq), options.lookup, options.esc);
    if (key === '') throw new WordError(`'${w}' has an empty key`);
    return [key, expandWord(w.slice(eq + 1), options.lookup, options.esc)];
  });
}
