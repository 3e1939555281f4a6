// .dockerignore: moby/patternmatcher's rules. Patterns are cleaned and made relative to the
// context root; `*` and `?` stay within one path component, `**` crosses any number of them,
// `!pattern` re-includes, the last matching pattern wins, and a pattern that matches a
// directory also matches everything under it.
import { posix } from 'node:path';

interface IgnoreRule {
  regex: RegExp;
  exception: boolean;
}

/** Decides which context paths a build may read. */
export interface IgnoreMatcher {
  /** True when `path` (relative to the context, `/`-separated) is excluded. */
  ignored(path: string): boolean;
  /** True when some `!` rule exists: an excluded directory may still hold included files. */
  readonly hasExceptions: boolean;
}

/** Compiles the text of a .dockerignore file. */
export function compileIgnore(text: string): IgnoreMatcher {
  const rules: IgnoreRule[] = [];
  for (const line of text.split(/\r?\n/)) {
    let pattern = line.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const exception = pattern.startsWith('!');
    if (exception) pattern = pattern.slice(1).trim();
    pattern = posix.normalize(pattern).replace(/^\/+/, '').replace(/\/+$/, '');
    if (pattern === '' || pattern === '.') continue;
    rules.push({ regex: patternRegex(pattern), exception });
  }
  return {
    hasExceptions: rules.some((r) => r.exception),
    ignored(path: string): boolean {
      const candidates = parentsAndSelf(path);
      let ignored = false;
      for (const rule of rules) {
        if (candidates.some((c) => rule.regex.test(c))) ignored = !rule.exception;
      }
      return ignored;
    },
  };
}

/** `a/b/c` → [`a`, `a/b`, `a/b/c`]. */
function parentsAndSelf(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** A pattern as an anchored regular expression over `/`-separated paths. */
export function patternRegex(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        out += '(?:.*/)?';
      } else out += '.*';
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) out += escapeRegex(pattern[++i]!);
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        out += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += escapeRegex(ch);
  }
  return new RegExp(`${out}$`);
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

/** True when a COPY source contains glob characters (Go's filepath.Match syntax). */
export function hasWildcard(path: string): boolean {
  return /[*?[]/.test(path);
}
