import {
  closeSync,
  existsSync,
  openSync,
  read,
  readFileSync,
  type WatchListener,
  watch,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { CgroupStats } from '../cgroups/index.ts';
import { parseKeyValues } from '../cgroups/stats.ts';
import { type ContainerRecord, containerStatus, type StateStore } from '../state/index.ts';
import { recordCgroup } from './cgroup.ts';
import { wrongState } from './wrong-state.ts';

/** One line of `events` output, as runc prints it. */
export type ContainerEvent = { type: 'stats'; id: string; data: CgroupStats } | { type: 'oom'; id: string };

/** `events --stats`: the container's cgroup statistics once. */
export async function containerStats(store: StateStore, id: string): Promise<ContainerEvent> {
  const record = store.load(id);
  const status = containerStatus(record, store.fifoPath(id));
  if (status === 'stopped' || status === 'creating') throw wrongState('read statistics of', id, status);
  return { type: 'stats', id, data: await (await recordCgroup(record)).stats() };
}

export interface WatchOptions {
  store: StateStore;
  id: string;
  intervalMs: number;
  emit(event: ContainerEvent): void;
}

/** `events`: statistics every interval and an event per OOM kill, until the container stops. */
export async function watchEvents(o: WatchOptions): Promise<void> {
  const record = o.store.load(o.id);
  const cgroup = await recordCgroup(record);
  const stopOom = await watchOom(record, () => o.emit({ type: 'oom', id: o.id }));
  try {
    for (;;) {
      const status = containerStatus(o.store.load(o.id), o.store.fifoPath(o.id));
      if (status === 'stopped') return;
      o.emit({ type: 'stats', id: o.id, data: await cgroup.stats() });
      await new Promise((r) => setTimeout(r, o.intervalMs));
    }
  } finally {
    stopOom();
  }
}

/**
 * Calls `onOom` whenever the kernel's OOM killer acts in the container's memory cgroup: v1 through
 * an eventfd registered on memory.oom_control, v2 by watching memory.events' oom_kill counter.
 * Returns the function that stops watching.
 */
export async function watchOom(record: ContainerRecord, onOom: () => void): Promise<() => void> {
  const v1 = record.cgroupPaths?.memory;
  if (v1 !== undefined && existsSync(join(v1, 'memory.oom_control'))) return watchOomV1(v1, onOom);
  const v2 = record.cgroupPaths?.unified;
  if (v2 !== undefined && existsSync(join(v2, 'memory.events'))) return watchOomV2(v2, onOom);
  return () => undefined;
}

const EFD_CLOEXEC = 0o2000000;

async function watchOomV1(dir: string, onOom: () => void): Promise<() => void> {
  const { default: koffi } = await import('koffi');
  const eventfd = koffi.load('libc.so.6').func('int eventfd(unsigned int initval, int flags)') as (
    initval: number,
    flags: number,
  ) => number;
  const efd = eventfd(0, EFD_CLOEXEC);
  const control = openSync(join(dir, 'memory.oom_control'), 'r');
  writeFileSync(join(dir, 'cgroup.event_control'), `${efd} ${control}`);
  let stopped = false;
  const counter = Buffer.alloc(8);
  const next = (): void => {
    // The eventfd also fires when the cgroup is removed: that ends the watch.
    read(efd, counter, 0, 8, null, (err) => {
      if (err || stopped || !existsSync(dir)) return;
      onOom();
      next();
    });
  };
  next();
  return () => {
    stopped = true;
    // Wake the pending read so the process can exit, then release both fds.
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    writeSync(efd, one);
    setImmediate(() => {
      closeSync(control);
      closeSync(efd);
    });
  };
}

function watchOomV2(dir: string, onOom: () => void): () => void {
  const file = join(dir, 'memory.events');
  let kills = oomKills(file);
  const listener: WatchListener<string> = () => {
    const now = oomKills(file);
    if (now > kills) onOom();
    kills = Math.max(kills, now);
  };
  const watcher = watch(file, listener);
  watcher.on('error', () => watcher.close());
  return () => watcher.close();
}

function oomKills(file: string): number {
  try {
    return parseKeyValues(readFileSync(file, 'utf8')).oom_kill ?? 0;
  } catch {
    return 0;
  }
}
