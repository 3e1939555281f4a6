import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessRunner } from '../process.ts';
import { parseQemuVersion, type QemuVersion } from './version.ts';

/** The x86-64 system emulator Berth drives. */
export const QEMU_BINARY = 'qemu-system-x86_64';

export type QemuDiscovery =
  | { found: true; path: string; version: QemuVersion }
  | { found: false; reason: string };

/** Looks `name` up in a PATH string the way a shell does; undefined when it is not there. */
export async function findExecutable(name: string, pathEnv: string | undefined): Promise<string | undefined> {
  if (name.includes('/')) return (await isExecutable(name)) ? name : undefined;
  for (const dir of (pathEnv ?? '').split(':').filter(Boolean)) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds QEMU on PATH and asks it for its version. */
export async function findQemu(options: {
  pathEnv: string | undefined;
  run: ProcessRunner;
}): Promise<QemuDiscovery> {
  const path = await findExecutable(QEMU_BINARY, options.pathEnv);
  if (!path) return { found: false, reason: `${QEMU_BINARY} not found on PATH` };
  const result = await options.run(path, ['--version'], { timeoutMs: 10_000 });
  const version = result.code === 0 ? parseQemuVersion(result.stdout) : undefined;
  if (!version) {
    const said = (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
    return { found: false, reason: `${path} --version failed${said ? `: ${said}` : ''}` };
  }
  return { found: true, path, version };
}
