// Enforces STYLE.md's one-direction imports: cli/web → client → api → engine → instance →
// domain modules (runtime, image, storage, network, vm) → core. Exits 1 naming each violation.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const RANK: Record<string, number> = {
  core: 0,
  runtime: 1,
  image: 1,
  storage: 1,
  network: 1,
  vm: 1,
  doctor: 2,
  instance: 2,
  engine: 3,
  api: 4,
  client: 5,
  cli: 6,
  web: 6,
};

// Sideways imports between domains that go through a small typed interface, allowed by name.
const SIDEWAYS = new Set(['image->storage']);

const SRC = resolve(import.meta.dirname, '..', 'src');
const IMPORT = /(?:^|\s)(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) yield path;
  }
}

function layerOf(path: string): string | undefined {
  const [top] = relative(SRC, path).split('/');
  return top;
}

const violations: string[] = [];
for (const file of sourceFiles(SRC)) {
  const from = layerOf(file);
  if (from === undefined || RANK[from] === undefined) {
    violations.push(
      `${relative(SRC, file)}: folder src/${from} has no place in the layering (scripts/check-layers.ts)`,
    );
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? '';
    if (!spec.startsWith('.')) continue;
    const to = layerOf(resolve(dirname(file), spec));
    if (to === undefined || to === from) continue;
    const ok = (RANK[to] ?? 99) < (RANK[from] ?? 0) || SIDEWAYS.has(`${from}->${to}`);
    if (!ok) violations.push(`${relative(SRC, file)}: imports '${spec}' (${from} must not import ${to})`);
  }
}

if (violations.length > 0) {
  process.stderr.write(`layering violations:\n  ${violations.join('\n  ')}\n`);
  process.exit(1);
}
