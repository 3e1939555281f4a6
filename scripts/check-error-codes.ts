// Every error code used in src/ must be listed in docs/reference/errors.md, and every listed code
// must still be used: the catalogue users read stays true. Exits 1 naming each mismatch.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CODE = /['"`](ERR_[A-Z0-9]+(?:_[A-Z0-9]+)+)['"`]/g;

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) yield path;
  }
}

const used = new Set<string>();
for (const file of sourceFiles(join(ROOT, 'src'))) {
  for (const match of readFileSync(file, 'utf8').matchAll(CODE)) used.add(match[1] ?? '');
}
const catalogue = readFileSync(join(ROOT, 'docs/reference/errors.md'), 'utf8');
const listed = new Set([...catalogue.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1] ?? ''));

const problems = [
  ...[...used]
    .filter((c) => !listed.has(c))
    .map((c) => `${c} is used in src/ but not listed in docs/reference/errors.md`),
  ...[...listed]
    .filter((c) => !used.has(c))
    .map((c) => `${c} is listed in docs/reference/errors.md but no longer used`),
];
if (problems.length > 0) {
  process.stderr.write(`error catalogue out of date:\n  ${problems.sort().join('\n  ')}\n`);
  process.exit(1);
}
