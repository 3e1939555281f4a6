// Whether a resident process's code is still what is on disk: an upgrade must never run stale code.
import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';

/** Watches source trees; `stale()` turns true once any file under them changed. */
export interface Freshness {
  stale(): boolean;
  close(): void;
}

const RECHECK_MS = 1000;

function fingerprint(dirs: readonly string[]): string {
  const parts: string[] = [];
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
      if (!entry.endsWith('.ts') || entry.endsWith('.test.ts')) continue;
      const st = statSync(join(dir, entry), { throwIfNoEntry: false });
      parts.push(`${entry}:${st?.mtimeMs ?? 0}:${st?.size ?? 0}`);
    }
  }
  return parts.join('\n');
}

/** inotify marks the code stale at once; a full mtime check at most every second backs it up. */
export function watchSources(dirs: readonly string[]): Freshness {
  const initial = fingerprint(dirs);
  let changed = false;
  let checkedAt = Date.now();
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    try {
      const w = watch(dir, { recursive: true, persistent: false }, () => {
        changed = true;
      });
      w.on('error', () => {});
      watchers.push(w);
    } catch {}
  }
  return {
    stale() {
      if (changed) return true;
      if (Date.now() - checkedAt < RECHECK_MS) return false;
      checkedAt = Date.now();
      changed = fingerprint(dirs) !== initial;
      return changed;
    },
    close: () => {
      for (const w of watchers) w.close();
    },
  };
}
