// Side-by-side start latency of berth-runtime and runc on the same busybox bundle (issue 3):
//   `run` of a container whose process is `true`, and create → start → delete (containerd's sequence),
//   for runc, berth-runtime with its planner warm, and berth-runtime without one (the slow path).
// Usage: node bench/runtime-run.ts [runs=30]. Needs root, hyperfine and runc. Prints medians, ratios
// to runc and the planner's RSS. The planner is private to the run (its own socket) and stopped after.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BERTH = fileURLToPath(new URL('../bin/berth-runtime', import.meta.url));
const runs = Number(process.argv[2] ?? 30);

function makeBundle(dir: string): string {
  const bundle = join(dir, 'bundle');
  const bin = join(bundle, 'rootfs/bin');
  mkdirSync(bin, { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp']) mkdirSync(join(bundle, 'rootfs', d));
  copyFileSync('/bin/busybox', join(bin, 'busybox'));
  symlinkSync('busybox', join(bin, 'true'));
  symlinkSync('busybox', join(bin, 'sh'));
  execFileSync('runc', ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return bundle;
}

interface Result {
  command: string;
  median: number;
}

function hyperfine(commands: Record<string, string>, out: string): Result[] {
  const args = ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', out, '--style', 'none'];
  for (const [name, cmd] of Object.entries(commands)) args.push('-n', name, cmd);
  const r = spawnSync('hyperfine', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`hyperfine failed (${r.status})`);
  return JSON.parse(readFileSync(out, 'utf8')).results;
}

function report(title: string, results: Result[]): void {
  const runc = results.find((r) => r.command.startsWith('runc'));
  if (!runc) return;
  const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
  console.log(title);
  for (const r of results) {
    console.log(
      `  ${r.command.padEnd(34)} ${ms(r.median).padStart(9)}   ${(r.median / runc.median).toFixed(2)}× runc`,
    );
  }
}

/** Starts the bench's own planner through one call and waits until it listens; returns its pid. */
function startPlanner(socket: string): number {
  spawnSync(BERTH, ['--version'], { env: { ...process.env, BERTH_RUNTIME_PLANNER_SOCKET: socket } });
  for (let i = 0; i < 1000 && !existsSync(socket); i++) spawnSync('sleep', ['0.01']);
  const r = spawnSync(BERTH, ['--version'], {
    env: { ...process.env, BERTH_RUNTIME_PLANNER_SOCKET: socket, BERTH_RUNTIME_PLANNER: 'require' },
  });
  if (r.status !== 0) throw new Error(`the planner did not start: ${r.stderr}`);
  return Number(readFileSync(`${socket}.pid`, 'utf8'));
}

function rssMiB(pid: number): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return line ? `${(Number(line[1]) / 1024).toFixed(1)} MiB` : 'unknown';
}

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
const socket = join(dir, 'planner.sock');
let planner = 0;
try {
  const bundle = makeBundle(dir);
  planner = startPlanner(socket);
  const fast = `env BERTH_RUNTIME_PLANNER=require BERTH_RUNTIME_PLANNER_SOCKET=${socket} ${BERTH} --root ${dir}/berth-root`;
  const slow = `env BERTH_RUNTIME_PLANNER=off ${BERTH} --root ${dir}/berth-root`;
  const r = `env runc --root ${dir}/runc-root`;
  console.log(`runs: ${runs}; load: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  report(
    'run true (median)',
    hyperfine(
      {
        'runc run': `${r} run --bundle ${bundle} bench`,
        'berth-runtime run (planner)': `${fast} run --bundle ${bundle} bench`,
        'berth-runtime run (no planner)': `${slow} run --bundle ${bundle} bench`,
      },
      join(dir, 'run.json'),
    ),
  );
  const sequence = (rt: string) =>
    `sh -c "${rt} create --bundle ${bundle} seq && ${rt} start seq && ${rt} delete --force seq"`;
  report(
    'create+start+delete --force (median)',
    hyperfine(
      {
        'runc sequence': sequence(r),
        'berth-runtime sequence (planner)': sequence(fast),
        'berth-runtime sequence (no planner)': sequence(slow),
      },
      join(dir, 'seq.json'),
    ),
  );
  console.log(`planner RSS after the runs: ${rssMiB(planner)}`);
} finally {
  if (planner) process.kill(planner, 'SIGTERM');
  for (let i = 0; i < 500 && existsSync(`${socket}.pid`); i++) spawnSync('sleep', ['0.01']);
  rmSync(dir, { recursive: true, force: true });
}
