import { readdirSync, readlinkSync } from 'node:fs';
import type { ContainerRecord } from './store.ts';

function nsOf(pid: number | string, type: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${type}`);
  } catch {
    return undefined;
  }
}

/** Host pids of the processes in the container's own pid namespace, init first. */
export function containerPids(record: ContainerRecord): number[] {
  const ownPidNs = record.spec.linux?.namespaces?.some((n) => n.type === 'pid' && !n.path);
  const initNs = nsOf(record.pid, 'pid_for_children') ?? nsOf(record.pid, 'pid');
  if (!ownPidNs || !initNs) return [record.pid];
  const pids = [record.pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === record.pid) continue;
    if (nsOf(entry, 'pid') === initNs) pids.push(Number(entry));
  }
  return pids;
}
