import { fileURLToPath } from 'node:url';
import { defaultPaths } from '../../core/index.ts';
import { type CheckResult, type DoctorReport, runDoctor } from '../../doctor/index.ts';
import type { Command } from '../command.ts';

const NATIVE_HELPER = fileURLToPath(new URL('../../../native/build/berth-native', import.meta.url));

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check the host for everything Berth uses',
  usage: 'doctor [--json]',
  description:
    'Creates namespaces, mounts an overlay, creates links in a throwaway network namespace and\n' +
    'probe-boots the guest kernel under KVM and TCG. Exits 1 only when a required feature is missing.',
  async run() {
    const report = await runDoctor({ stateDir: defaultPaths().stateDir, nativeHelper: NATIVE_HELPER });
    return { data: report, render: renderReport, exitCode: report.ok ? 0 : 1 };
  },
};

const MARK: Record<CheckResult['status'], string> = { ok: 'ok', warn: 'warn', fail: 'FAIL' };

/** One aligned line per check; warn/fail get a hint line, non-obvious verdicts their evidence. */
export function renderReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines: string[] = [];
  for (const check of report.checks) {
    lines.push(`${MARK[check.status].padEnd(5)} ${check.title.padEnd(width)}  ${check.detail}`);
    const indent = ' '.repeat(6 + width + 2);
    if (check.evidence && check.status !== 'ok') lines.push(`${indent}evidence: ${check.evidence}`);
    if (check.hint && check.status !== 'ok') lines.push(`${indent}hint: ${check.hint}`);
  }
  const { ok, warn, fail } = report.counts;
  const requiredFailed = report.checks.filter((c) => c.required && c.status === 'fail').map((c) => c.id);
  const verdict = report.ok
    ? 'everything required is there'
    : `required feature missing: ${requiredFailed.join(', ')}`;
  lines.push(
    '',
    `${ok} ok, ${warn} warn, ${fail} fail in ${(report.durationMs / 1000).toFixed(1)} s: ${verdict}`,
  );
  return `${lines.join('\n')}\n`;
}
