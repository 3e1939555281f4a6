// A build killed mid-step (SIGKILL, power loss) cannot run its own clean-up: the next build,
// holding the build lock, unmounts what is still mounted under the work root, removes the work
// directories and the active snapshots builds create (`build-…`, `view-…`).
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMountInfo } from '../../core/index.ts';
import type { Snapshotter } from '../../storage/index.ts';
import type { BuildSyscalls } from './syscalls.ts';

/** Removes what earlier, interrupted builds left; returns how many things it removed. */
export async function recoverBuildLeftovers(o: {
  workRoot: string;
  snapshotter: Snapshotter;
  syscalls: BuildSyscalls;
  mountinfo?: string;
}): Promise<number> {
  let removed = 0;
  const mountinfo = o.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  // Deepest first, so a mount on top of another goes before it.
  const mounts = parseMountInfo(mountinfo)
    .map((m) => m.mountPoint)
    .filter((m) => m.startsWith(`${o.workRoot}/`))
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) {
    o.syscalls.unmount(mount);
    removed++;
  }
  for (const name of await readdir(o.workRoot).catch(() => [])) {
    await rm(join(o.workRoot, name), { recursive: true, force: true });
    removed++;
  }
  for (const snapshot of await o.snapshotter.list()) {
    if (snapshot.kind === 'committed' || !/^(build|view)-[0-9a-f]+$/.test(snapshot.key)) continue;
    await o.snapshotter.remove(snapshot.key);
    removed++;
  }
  return removed;
}
