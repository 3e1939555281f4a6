/** A QEMU release as `major.minor.micro`. */
export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
  /** The version as printed, e.g. `7.2.22`. */
  text: string;
  /** The distribution's package tag in parentheses, e.g. `Debian 1:7.2+dfsg-7+deb12u18+b3`. */
  package: string | undefined;
}

const VERSION_LINE = /QEMU emulator version (\d+)\.(\d+)(?:\.(\d+))?(?:\s+\(([^)]*)\))?/;

/** Parses the first line of `qemu-system-x86_64 --version`; undefined when it is not QEMU's. */
export function parseQemuVersion(output: string): QemuVersion | undefined {
  const match = VERSION_LINE.exec(output);
  if (!match) return undefined;
  const [, major = '0', minor = '0', micro = '0', pkg] = match;
  return {
    major: Number(major),
    minor: Number(minor),
    micro: Number(micro),
    text: `${major}.${minor}.${micro}`,
    package: pkg?.trim() || undefined,
  };
}

/** True when `version` is at least `major.minor`. */
export function qemuAtLeast(version: QemuVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}
