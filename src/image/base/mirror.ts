// Finds the Debian mirror the host's apt uses, from one-line sources (sources.list, *.list) and
// deb822 files (*.sources), so debootstrap fetches from where apt-get already works.

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  file: string;
}

/** Parses one-line `deb [options] URI SUITE COMPONENT…` entries (deb-src and comments skipped). */
export function parseOneLineSources(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, uri, suite, components] = match as unknown as [string, string, string, string];
    out.push({ uri, suites: [suite], components: components.split(/\s+/).filter(Boolean), file });
  }
  return out;
}

/** Parses deb822 stanzas (`Types: deb`, `URIs:`, `Suites:`, `Components:`, `Enabled:`). */
export function parseDeb822Sources(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match) {
        last = match[1]!.toLowerCase();
        fields.set(last, match[2]!.trim());
      }
    }
    const words = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || fields.get('enabled')?.toLowerCase() === 'no') continue;
    for (const uri of words('uris')) {
      out.push({ uri, suites: words('suites'), components: words('components'), file });
    }
  }
  return out;
}

/**
 * The mirror for `suite`: the first source that carries the suite itself (not `-security` or
 * `-updates`), else the first Debian-looking source; undefined when there is none.
 */
export function chooseMirror(sources: AptSource[], suite: string): string | undefined {
  const exact = sources.find((s) => s.suites.includes(suite) && /^https?:/.test(s.uri));
  if (exact) return exact.uri;
  return sources.find((s) => /^https?:/.test(s.uri) && /debian/.test(s.uri) && !/security/.test(s.uri))?.uri;
}
