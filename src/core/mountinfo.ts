/** One line of /proc/self/mountinfo (proc(5)). */
export interface MountInfo {
  /** The path inside the filesystem that forms this mount's root (field 4; not `/` for a bind or a cgroup namespace). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-mount options, e.g. `rw`, `relatime`. */
  options: string[];
  /** Per-superblock options; for cgroup v1 these name the controllers (`rw,cpu,cpuacct`). */
  superOptions: string[];
}

// Paths escape space, tab, newline and backslash as octal (\040 …).
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text; malformed lines are skipped. */
export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    // Optional fields (shared:1, master:2 …) sit between field 6 and the `-` separator.
    const separator = fields.indexOf('-', 6);
    if (separator === -1 || fields.length < separator + 3) continue;
    mounts.push({
      root: unescapeOctal(fields[3] ?? ''),
      mountPoint: unescapeOctal(fields[4] ?? ''),
      options: (fields[5] ?? '').split(','),
      fsType: fields[separator + 1] ?? '',
      source: unescapeOctal(fields[separator + 2] ?? ''),
      superOptions: (fields[separator + 3] ?? '').split(',').filter(Boolean),
    });
  }
  return mounts;
}
