/** One line of /proc/self/mountinfo (proc(5)). */
export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-mount options, e.g. `rw`, `relatime`. */
  options: string[];
  /** Per-superblock options; for cgroup v1 these name the controllers (`rw,cpu,cpuacct`). */
  superOptions: string[];
}

// Mount points escape space, tab, newline and backslash as octal (\040 …).
const unescapeOctal = (text: string) =>
  text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));

/** Parses /proc/self/mountinfo; malformed lines are skipped. */
export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator === -1 || fields.length < separator + 3) continue;
    mounts.push({
      mountPoint: unescapeOctal(fields[4] ?? ''),
      options: (fields[5] ?? '').split(','),
      fsType: fields[separator + 1] ?? '',
      source: unescapeOctal(fields[separator + 2] ?? ''),
      superOptions: (fields[separator + 3] ?? '').split(',').filter(Boolean),
    });
  }
  return mounts;
}
