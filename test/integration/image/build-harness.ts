// Shared set-up for `berth build` tests: a private state and run dir, the CLI, and ways to look
// at what a build produced (layers unpacked in order, mounts and snapshots left behind).
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContentStore, type ImageRecord, ImageStore, unpackLayer } from '../../../src/image/index.ts';

const BERTH = fileURLToPath(new URL('../../../bin/berth', import.meta.url));

export interface BuildEnv {
  dir: string;
  stateDir: string;
  runDir: string;
  content: ContentStore;
  images: ImageStore;
}

export function buildEnv(dir: string): BuildEnv {
  const stateDir = join(dir, 'state');
  return {
    dir,
    stateDir,
    runDir: join(dir, 'run'),
    content: ContentStore.forStateDir(stateDir),
    images: ImageStore.forStateDir(stateDir),
  };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `berth ARGS` against the env's private state and run dirs. */
export function berth(env: BuildEnv, args: string[]): CliResult {
  const r = spawnSync(BERTH, args, {
    encoding: 'utf8',
    env: { ...process.env, BERTH_STATE_DIR: env.stateDir, BERTH_RUN_DIR: env.runDir },
    timeout: 240_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes files (path → content) under `root`, creating directories. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** The image's config document. */
// biome-ignore lint/suspicious/noExplicitAny: the test checks the config JSON exactly as it is stored
export async function imageConfig(env: BuildEnv, image: ImageRecord): Promise<Record<string, any>> {
  return JSON.parse((await env.content.readBytes(image.config.digest)).toString('utf8'));
}

/** Applies the image's layers in order into `target` (whiteouts delete): its root filesystem. */
export async function flatten(env: BuildEnv, image: ImageRecord, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const layer of image.layers) {
    await unpackLayer({
      source: await env.content.read(layer.digest),
      target,
      options: { whiteouts: 'flatten' },
    });
  }
}

/** Host mounts under `dir` (none may remain after a build). */
export async function mountsUnder(dir: string): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(dir));
}

/** Snapshots that are not committed (a build's active snapshots must all be gone). */
export async function activeSnapshots(env: BuildEnv): Promise<string[]> {
  const path = join(env.stateDir, 'snapshots/overlay/metadata.json');
  const text = await readFile(path, 'utf8').catch(() => '{"snapshots":{}}');
  const meta = JSON.parse(text) as { snapshots: Record<string, { kind: string }> };
  return Object.entries(meta.snapshots)
    .filter(([, s]) => s.kind !== 'committed')
    .map(([key]) => key);
}

/** Entries of a directory, none when it does not exist. */
export async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
