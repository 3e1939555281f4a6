// Side-by-side start latency of berth-runtime and runc on the same busybox bundle (issue 3):
//   `run` of a container whose process is `true`, and create → start → delete (containerd's sequence).
// Usage: node bench/runtime-run.ts [runs=30]. Needs root, hyperfine and runc. Prints medians and ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
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
  const [berth, runc] = results;
  if (!berth || !runc) return;
  const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
  console.log(
    `${title}: berth-runtime ${ms(berth.median)}, runc ${ms(runc.median)}, ratio ${(berth.median / runc.median).toFixed(2)}×`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
try {
  const bundle = makeBundle(dir);
  const b = `${BERTH} --root ${dir}/berth-root`;
  const r = `runc --root ${dir}/runc-root`;
  console.log(`runs: ${runs}; load: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  report(
    'run true',
    hyperfine(
      {
        'berth-runtime run': `${b} run --bundle ${bundle} bench`,
        'runc run': `${r} run --bundle ${bundle} bench`,
      },
      join(dir, 'run.json'),
    ),
  );
  const sequence = (rt: string) =>
    `sh -c "${rt} create --bundle ${bundle} seq && ${rt} start seq && ${rt} delete --force seq"`;
  report('create+start+delete', hyperfine({ berth: sequence(b), runc: sequence(r) }, join(dir, 'seq.json')));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
