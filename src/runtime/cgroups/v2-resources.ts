import type { LinuxResources } from '../spec/index.ts';
import { invalidResource, isSet, type ResourceTarget, unsupported } from './target.ts';
import { rdmaLines } from './v1-resources.ts';

type Memory = NonNullable<LinuxResources['memory']>;
type Cpu = NonNullable<LinuxResources['cpu']>;
type BlockIO = NonNullable<LinuxResources['blockIO']>;

/** cpu.shares (2–262144) → cpu.weight (1–10000), the linear mapping of runc 1.1 and crun < 1.23. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkio weight (10–1000) → io.weight (1–10000), as runc converts it. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * OCI `memory.swap` is memory+swap; v2 `memory.swap.max` is swap alone. Returns the value to write,
 * -1 for "max", or undefined to leave it alone (runc's ConvertMemorySwapToCgroupV2Value).
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): number | undefined {
  const memory = limit ?? 0;
  const total = swap ?? 0;
  if (memory === -1 && total === 0) return -1;
  if (total === -1) return -1;
  if (total === 0) return undefined;
  if (memory === 0 || memory === -1) {
    throw invalidResource(
      `swap limit ${total} without a memory limit`,
      'set memory.limit when limiting swap',
    );
  }
  if (total < memory) {
    throw invalidResource(
      `memory+swap limit ${total} is below the memory limit ${memory}`,
      'memory.swap is memory plus swap: set it >= memory.limit, or -1 for unlimited swap',
    );
  }
  return total - memory;
}

const max = (n: number): string | number => (n === -1 ? 'max' : n);

/** Applies OCI resources to one cgroup v2 directory; `unified` keys are written last, verbatim. */
export async function applyV2Resources(target: ResourceTarget, resources: LinuxResources): Promise<void> {
  if (resources.memory !== undefined) await applyV2Memory(target, resources.memory);
  if (resources.cpu !== undefined) await applyV2Cpu(target, resources.cpu);
  if (resources.pids !== undefined) {
    await target.write('pids', 'pids.max', resources.pids.limit > 0 ? resources.pids.limit : 'max');
  }
  if (resources.blockIO !== undefined) await applyV2Io(target, resources.blockIO);
  await applyV2Hugetlb(target, resources);
  for (const line of rdmaLines(resources)) await target.write('rdma', 'rdma.max', line);
  if (isSet(resources.network?.classID) || (resources.network?.priorities ?? []).length > 0) {
    throw unsupported(
      'network classID/priorities on cgroup v2',
      'net_cls and net_prio exist only on cgroup v1',
    );
  }
  await applyUnified(target, resources.unified);
}

async function applyV2Memory(target: ResourceTarget, memory: Memory): Promise<void> {
  const swap = swapToV2(memory.swap, memory.limit);
  if (swap !== undefined) {
    try {
      await target.write('memory', 'memory.swap.max', max(swap));
    } catch (err) {
      // Without swap accounting there is nothing to set; only a real limit is an error (runc).
      const missing = !(await target.has('memory', 'memory.swap.max'));
      if (!(missing && (swap === -1 || swap === 0))) throw err;
    }
  }
  if (isSet(memory.limit)) await target.write('memory', 'memory.max', max(memory.limit));
  if (isSet(memory.reservation)) await target.write('memory', 'memory.low', max(memory.reservation));
  if (isSet(memory.kernel) || isSet(memory.kernelTCP)) {
    target.log.warn('kernel memory limits ignored: cgroup v2 has no separate kernel memory limit');
  }
  if (memory.swappiness !== undefined && memory.swappiness !== -1) {
    target.log.warn('memory swappiness ignored: cgroup v2 has no per-cgroup swappiness');
  }
  if (memory.disableOOMKiller === true) {
    target.log.warn('disableOOMKiller ignored: cgroup v2 cannot disable the OOM killer');
  }
}

async function applyV2Cpu(target: ResourceTarget, cpu: Cpu): Promise<void> {
  if (isSet(cpu.realtimePeriod) || isSet(cpu.realtimeRuntime)) {
    throw unsupported('cpu realtime period/runtime on cgroup v2', 'the v2 cpu controller has no rt_* knobs');
  }
  if (isSet(cpu.shares)) await target.write('cpu', 'cpu.weight', sharesToWeight(cpu.shares));
  if (isSet(cpu.quota) || isSet(cpu.period)) {
    const quota = isSet(cpu.quota) && cpu.quota > 0 ? String(cpu.quota) : 'max';
    await target.write('cpu', 'cpu.max', isSet(cpu.period) ? `${quota} ${cpu.period}` : quota);
  }
  if (cpu.burst !== undefined) await target.write('cpu', 'cpu.max.burst', cpu.burst);
  if (cpu.idle !== undefined) await target.write('cpu', 'cpu.idle', cpu.idle);
  if (cpu.cpus) await target.write('cpuset', 'cpuset.cpus', cpu.cpus);
  if (cpu.mems) await target.write('cpuset', 'cpuset.mems', cpu.mems);
}

async function applyV2Io(target: ResourceTarget, io: BlockIO): Promise<void> {
  // BFQ takes blkio-style weights (1–1000) directly; io.weight needs the 1–10000 scale.
  const bfq = await target.has('io', 'io.bfq.weight');
  const weight = (w: number): number => (bfq ? w : blkioWeightToIoWeight(w));
  const weightFile = bfq ? 'io.bfq.weight' : 'io.weight';
  if (isSet(io.weight)) await target.write('io', weightFile, weight(io.weight));
  if (isSet(io.leafWeight)) target.log.warn('blkio leafWeight ignored: cgroup v2 has no leaf weights');
  for (const d of io.weightDevice ?? []) {
    if (isSet(d.weight)) await target.write('io', weightFile, `${d.major}:${d.minor} ${weight(d.weight)}`);
  }
  const limits: [keyof BlockIO, string][] = [
    ['throttleReadBpsDevice', 'rbps'],
    ['throttleWriteBpsDevice', 'wbps'],
    ['throttleReadIOPSDevice', 'riops'],
    ['throttleWriteIOPSDevice', 'wiops'],
  ];
  for (const [key, name] of limits) {
    for (const d of (io[key] as { major: number; minor: number; rate: number }[] | undefined) ?? []) {
      await target.write('io', 'io.max', `${d.major}:${d.minor} ${name}=${d.rate === 0 ? 'max' : d.rate}`);
    }
  }
}

/** `hugetlb.<size>.max` (and `.rsvd.max` where the kernel has it). */
export async function applyV2Hugetlb(target: ResourceTarget, resources: LinuxResources): Promise<void> {
  for (const { pageSize, limit } of resources.hugepageLimits ?? []) {
    await target.write('hugetlb', `hugetlb.${pageSize}.max`, limit);
    if (await target.has('hugetlb', `hugetlb.${pageSize}.rsvd.max`)) {
      await target.write('hugetlb', `hugetlb.${pageSize}.rsvd.max`, limit);
    }
  }
}

/** Writes `linux.resources.unified` verbatim; a key names one interface file of the cgroup. */
export async function applyUnified(
  target: ResourceTarget,
  unified: Record<string, string> | undefined,
): Promise<void> {
  for (const [key, value] of Object.entries(unified ?? {})) {
    if (key === '' || key.includes('/') || key === '.' || key === '..' || !key.includes('.')) {
      throw invalidResource(
        `unified key ${JSON.stringify(key)}`,
        "a key is an interface file name like 'memory.high'",
      );
    }
    const controller = key.slice(0, key.indexOf('.'));
    await target.write(controller, key, value);
  }
}
