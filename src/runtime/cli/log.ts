import { appendFileSync } from 'node:fs';
import type { GlobalOptions } from './verb.ts';

/** Appends one log record to `--log` in runc's formats (json: `{"level","msg","time"}`). */
export function writeLog(global: GlobalOptions, level: 'debug' | 'warning' | 'error', msg: string): void {
  if (!global.log) return;
  const time = new Date().toISOString();
  const line =
    global.logFormat === 'json'
      ? JSON.stringify({ level, msg, time })
      : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    appendFileSync(global.log, `${line}\n`);
  } catch {
    // An unwritable log must not hide the error itself, which also goes to stderr.
  }
}
