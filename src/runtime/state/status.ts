import { existsSync, readFileSync } from 'node:fs';
import type { ContainerStatus } from '../spec/index.ts';
import type { ContainerRecord } from './store.ts';

/** A process's state letter and start time, from /proc/PID/stat; undefined when it is gone. */
export function processStat(pid: number): { state: string; startTime: number } | undefined {
  if (pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', startTime: Number(fields[19]) };
}

/** True when the recorded init still runs (same pid and start time, not a zombie). */
export function isInitAlive(record: Pick<ContainerRecord, 'pid' | 'pidStartTime'>): boolean {
  const stat = processStat(record.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return stat.startTime === record.pidStartTime;
}

/** The lifecycle status: stopped once init is gone, created while it waits on the exec fifo. */
export function containerStatus(record: ContainerRecord, fifoPath: string): ContainerStatus {
  if (record.pid === 0) return 'creating';
  if (!isInitAlive(record)) return 'stopped';
  if (record.paused) return 'paused';
  return existsSync(fifoPath) ? 'created' : 'running';
}
