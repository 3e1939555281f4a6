import type { BlkioEntry, CgroupStats, MemoryEntry } from './types.ts';

/** Reads an interface file of a controller; undefined when the file or controller is absent. */
export type StatSource = (controller: string, file: string) => Promise<string | undefined>;

/** `key value` lines (cpu.stat, memory.stat, memory.events) into a record of numbers. */
export function parseKeyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

/** A single number; `max` (unlimited) reads as 0 like runc reports it. */
export function parseNumber(text: string | undefined): number {
  const value = (text ?? '').trim();
  if (value === '' || value === 'max') return 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

export function emptyStats(): CgroupStats {
  const mem = (): MemoryEntry => ({ usage: 0, max: 0, limit: 0, failcnt: 0 });
  return {
    cpu: {
      usage: { total: 0, kernel: 0, user: 0 },
      throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 },
    },
    memory: { usage: mem(), raw: {} },
    pids: { current: 0, limit: 0 },
    blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [] },
    hugetlb: {},
  };
}

const USER_HZ_NS = 1e9 / 100;

/** Reads v1 statistics from each controller's files (cpuacct, cpu, memory, pids, blkio, hugetlb). */
export async function readV1Stats(read: StatSource, hugePageSizes: string[]): Promise<CgroupStats> {
  const stats = emptyStats();
  const acct = parseKeyValues(await read('cpuacct', 'cpuacct.stat'));
  const percpu = (await read('cpuacct', 'cpuacct.usage_percpu'))
    ?.trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  stats.cpu.usage = {
    total: parseNumber(await read('cpuacct', 'cpuacct.usage')),
    ...(percpu === undefined ? {} : { percpu }),
    kernel: (acct.system ?? 0) * USER_HZ_NS,
    user: (acct.user ?? 0) * USER_HZ_NS,
  };
  const cpu = parseKeyValues(await read('cpu', 'cpu.stat'));
  stats.cpu.throttling = {
    periods: cpu.nr_periods ?? 0,
    throttledPeriods: cpu.nr_throttled ?? 0,
    throttledTime: cpu.throttled_time ?? 0,
  };
  const entry = async (prefix: string): Promise<MemoryEntry> => ({
    usage: parseNumber(await read('memory', `${prefix}.usage_in_bytes`)),
    max: parseNumber(await read('memory', `${prefix}.max_usage_in_bytes`)),
    limit: parseNumber(await read('memory', `${prefix}.limit_in_bytes`)),
    failcnt: parseNumber(await read('memory', `${prefix}.failcnt`)),
  });
  stats.memory = { usage: await entry('memory'), raw: parseKeyValues(await read('memory', 'memory.stat')) };
  if ((await read('memory', 'memory.memsw.usage_in_bytes')) !== undefined)
    stats.memory.swap = await entry('memory.memsw');
  if ((await read('memory', 'memory.kmem.usage_in_bytes')) !== undefined)
    stats.memory.kernel = await entry('memory.kmem');
  stats.pids = {
    current: parseNumber(await read('pids', 'pids.current')),
    limit: parseNumber(await read('pids', 'pids.max')),
  };
  const bytes =
    (await read('blkio', 'blkio.io_service_bytes_recursive')) ??
    (await read('blkio', 'blkio.throttle.io_service_bytes_recursive'));
  const ios =
    (await read('blkio', 'blkio.io_serviced_recursive')) ??
    (await read('blkio', 'blkio.throttle.io_serviced_recursive'));
  stats.blkio = { ioServiceBytesRecursive: parseBlkio(bytes), ioServicedRecursive: parseBlkio(ios) };
  for (const size of hugePageSizes) {
    const usage = await read('hugetlb', `hugetlb.${size}.usage_in_bytes`);
    if (usage === undefined) continue;
    stats.hugetlb[size] = {
      usage: parseNumber(usage),
      max: parseNumber(await read('hugetlb', `hugetlb.${size}.max_usage_in_bytes`)),
      failcnt: parseNumber(await read('hugetlb', `hugetlb.${size}.failcnt`)),
    };
  }
  return stats;
}

/** v1 blkio lines `8:0 Read 4096` (the `Total` line is dropped). */
export function parseBlkio(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const match = /^(\d+):(\d+) (\S+) (\d+)$/.exec(line.trim());
    if (match)
      out.push({ major: Number(match[1]), minor: Number(match[2]), op: match[3]!, value: Number(match[4]) });
  }
  return out;
}

/** Reads v2 statistics from one directory's files. */
export async function readV2Stats(read: StatSource, hugePageSizes: string[]): Promise<CgroupStats> {
  const stats = emptyStats();
  const cpu = parseKeyValues(await read('cpu', 'cpu.stat'));
  stats.cpu.usage = {
    total: (cpu.usage_usec ?? 0) * 1000,
    kernel: (cpu.system_usec ?? 0) * 1000,
    user: (cpu.user_usec ?? 0) * 1000,
  };
  stats.cpu.throttling = {
    periods: cpu.nr_periods ?? 0,
    throttledPeriods: cpu.nr_throttled ?? 0,
    throttledTime: (cpu.throttled_usec ?? 0) * 1000,
  };
  const events = parseKeyValues(await read('memory', 'memory.events'));
  stats.memory = {
    usage: {
      usage: parseNumber(await read('memory', 'memory.current')),
      max: parseNumber(await read('memory', 'memory.peak')),
      limit: parseNumber(await read('memory', 'memory.max')),
      failcnt: events.max ?? 0,
    },
    raw: parseKeyValues(await read('memory', 'memory.stat')),
  };
  const swap = await read('memory', 'memory.swap.current');
  if (swap !== undefined) {
    const limit = parseNumber(await read('memory', 'memory.swap.max'));
    stats.memory.swap = { usage: parseNumber(swap), max: 0, limit, failcnt: 0 };
  }
  stats.pids = {
    current: parseNumber(await read('pids', 'pids.current')),
    limit: parseNumber(await read('pids', 'pids.max')),
  };
  stats.blkio = parseIoStat(await read('io', 'io.stat'));
  for (const size of hugePageSizes) {
    const usage = await read('hugetlb', `hugetlb.${size}.current`);
    if (usage === undefined) continue;
    const hugeEvents = parseKeyValues(await read('hugetlb', `hugetlb.${size}.events`));
    stats.hugetlb[size] = {
      usage: parseNumber(usage),
      max: parseNumber(await read('hugetlb', `hugetlb.${size}.max`)),
      failcnt: hugeEvents.max ?? 0,
    };
  }
  return stats;
}

/** v2 `io.stat` lines `8:0 rbytes=1 wbytes=2 rios=3 wios=4 …` in runc's v1-shaped entries. */
export function parseIoStat(text: string | undefined): CgroupStats['blkio'] {
  const out: CgroupStats['blkio'] = { ioServiceBytesRecursive: [], ioServicedRecursive: [] };
  for (const line of (text ?? '').split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const match = /^(\d+):(\d+)$/.exec(device ?? '');
    if (!match) continue;
    const major = Number(match[1]);
    const minor = Number(match[2]);
    const kv = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
    const push = (list: BlkioEntry[], op: string, value: number | undefined): void => {
      if (value !== undefined) list.push({ major, minor, op, value });
    };
    push(out.ioServiceBytesRecursive, 'Read', kv.rbytes);
    push(out.ioServiceBytesRecursive, 'Write', kv.wbytes);
    push(out.ioServicedRecursive, 'Read', kv.rios);
    push(out.ioServicedRecursive, 'Write', kv.wios);
  }
  return out;
}
