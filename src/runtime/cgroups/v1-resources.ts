import type { LinuxResources } from '../spec/index.ts';
import { deviceRuleLine, effectiveDeviceRules } from './devices.ts';
import { invalidResource, isSet, type ResourceTarget, unsupported } from './target.ts';

type Memory = NonNullable<LinuxResources['memory']>;
type Cpu = NonNullable<LinuxResources['cpu']>;
type BlockIO = NonNullable<LinuxResources['blockIO']>;

/** Applies OCI resources to v1 hierarchies, in runc's order (cpuset and devices first). */
export async function applyV1Resources(target: ResourceTarget, resources: LinuxResources): Promise<void> {
  if (resources.unified !== undefined && Object.keys(resources.unified).length > 0) {
    throw unsupported('unified resources on cgroup v1', 'linux.resources.unified needs cgroup v2');
  }
  await applyV1Devices(target, resources);
  if (resources.cpu?.cpus) await target.write('cpuset', 'cpuset.cpus', resources.cpu.cpus);
  if (resources.cpu?.mems) await target.write('cpuset', 'cpuset.mems', resources.cpu.mems);
  if (resources.memory !== undefined) await applyV1Memory(target, resources.memory);
  if (resources.cpu !== undefined) await applyV1Cpu(target, resources.cpu);
  if (resources.pids !== undefined) {
    await target.write('pids', 'pids.max', resources.pids.limit > 0 ? resources.pids.limit : 'max');
  }
  if (resources.blockIO !== undefined) await applyV1BlockIO(target, resources.blockIO);
  for (const { pageSize, limit } of resources.hugepageLimits ?? []) {
    await target.write('hugetlb', `hugetlb.${pageSize}.limit_in_bytes`, limit);
    if (await target.has('hugetlb', `hugetlb.${pageSize}.rsvd.limit_in_bytes`)) {
      await target.write('hugetlb', `hugetlb.${pageSize}.rsvd.limit_in_bytes`, limit);
    }
  }
  if (isSet(resources.network?.classID))
    await target.write('net_cls', 'net_cls.classid', resources.network.classID);
  for (const { name, priority } of resources.network?.priorities ?? []) {
    await target.write('net_prio', 'net_prio.ifpriomap', `${name} ${priority}`);
  }
  for (const line of rdmaLines(resources)) await target.write('rdma', 'rdma.max', line);
}

/**
 * `devices.deny a`, then each rule in order, then the defaults (runc's order). Without a
 * `devices` list nothing changes, so an update does not briefly revoke a running container's devices.
 */
export async function applyV1Devices(target: ResourceTarget, resources: LinuxResources): Promise<void> {
  if (resources.devices === undefined) return;
  for (const rule of effectiveDeviceRules(resources.devices)) {
    await target.write('devices', rule.allow ? 'devices.allow' : 'devices.deny', deviceRuleLine(rule));
  }
}

async function applyV1Memory(target: ResourceTarget, memory: Memory): Promise<void> {
  let swap = memory.swap ?? 0;
  if (isSet(memory.limit) && swap !== 0 && swap !== -1 && swap < memory.limit) {
    throw invalidResource(
      `memory+swap limit ${swap} is below the memory limit ${memory.limit}`,
      'memory.swap is memory plus swap: set it >= memory.limit, or -1 for unlimited swap',
    );
  }
  const hasSwapFile = await target.has('memory', 'memory.memsw.limit_in_bytes');
  if (memory.limit === -1 && swap === 0 && hasSwapFile) swap = -1;
  if (swap !== 0 && !hasSwapFile) {
    target.log.warn('swap limit ignored: this kernel has no swap accounting (memory.memsw.*)', { swap });
    swap = 0;
  }
  // The kernel requires limit <= memsw at every step: raise memsw first when growing.
  let swapFirst = false;
  if (isSet(memory.limit) && swap !== 0) {
    const current = Number((await target.read('memory', 'memory.limit_in_bytes')).trim());
    swapFirst = swap === -1 || current < swap;
  }
  if (swapFirst) await target.write('memory', 'memory.memsw.limit_in_bytes', swap);
  if (isSet(memory.limit)) await target.write('memory', 'memory.limit_in_bytes', memory.limit);
  if (swap !== 0 && !swapFirst) await target.write('memory', 'memory.memsw.limit_in_bytes', swap);
  if (isSet(memory.reservation))
    await target.write('memory', 'memory.soft_limit_in_bytes', memory.reservation);
  if (isSet(memory.kernel)) target.log.warn('kernel memory limit ignored: deprecated and unsupported here');
  if (isSet(memory.kernelTCP))
    await target.write('memory', 'memory.kmem.tcp.limit_in_bytes', memory.kernelTCP);
  if (memory.swappiness !== undefined && memory.swappiness !== -1) {
    if (memory.swappiness < 0 || memory.swappiness > 100) {
      throw invalidResource(`memory swappiness ${memory.swappiness}`, 'swappiness is 0 to 100');
    }
    await target.write('memory', 'memory.swappiness', memory.swappiness);
  }
  if (memory.disableOOMKiller === true) await target.write('memory', 'memory.oom_control', 1);
}

async function applyV1Cpu(target: ResourceTarget, cpu: Cpu): Promise<void> {
  if (isSet(cpu.realtimePeriod)) await target.write('cpu', 'cpu.rt_period_us', cpu.realtimePeriod);
  if (isSet(cpu.realtimeRuntime)) await target.write('cpu', 'cpu.rt_runtime_us', cpu.realtimeRuntime);
  if (isSet(cpu.shares)) {
    await target.write('cpu', 'cpu.shares', cpu.shares);
    const actual = Number((await target.read('cpu', 'cpu.shares')).trim());
    if (actual !== cpu.shares) {
      throw invalidResource(
        `cpu shares ${cpu.shares} (the kernel clamped it to ${actual})`,
        'shares are 2 to 262144',
      );
    }
  }
  // A shorter period may be refused while the old quota is larger: then write quota first.
  let periodPending = false;
  if (isSet(cpu.period)) {
    try {
      await target.write('cpu', 'cpu.cfs_period_us', cpu.period);
    } catch (err) {
      if (!isSet(cpu.quota)) throw err;
      periodPending = true;
    }
  }
  if (isSet(cpu.quota)) await target.write('cpu', 'cpu.cfs_quota_us', cpu.quota);
  if (periodPending && isSet(cpu.period)) await target.write('cpu', 'cpu.cfs_period_us', cpu.period);
  if (cpu.burst !== undefined) await target.write('cpu', 'cpu.cfs_burst_us', cpu.burst);
  if (cpu.idle !== undefined) await target.write('cpu', 'cpu.idle', cpu.idle);
}

async function applyV1BlockIO(target: ResourceTarget, io: BlockIO): Promise<void> {
  const bfq = !(await target.has('blkio', 'blkio.weight')) && (await target.has('blkio', 'blkio.bfq.weight'));
  const weightFile = bfq ? 'blkio.bfq.weight' : 'blkio.weight';
  if (isSet(io.weight)) await target.write('blkio', weightFile, io.weight);
  if (isSet(io.leafWeight)) await target.write('blkio', 'blkio.leaf_weight', io.leafWeight);
  for (const d of io.weightDevice ?? []) {
    if (isSet(d.weight))
      await target.write('blkio', `${weightFile}_device`, `${d.major}:${d.minor} ${d.weight}`);
    if (isSet(d.leafWeight)) {
      await target.write('blkio', 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
    }
  }
  const throttles: [keyof BlockIO, string][] = [
    ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
    ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
    ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
    ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
  ];
  for (const [key, file] of throttles) {
    for (const d of (io[key] as { major: number; minor: number; rate: number }[] | undefined) ?? []) {
      await target.write('blkio', file, `${d.major}:${d.minor} ${d.rate}`);
    }
  }
}

/** `rdma.max` lines, the same on v1 and v2: `mlx4_0 hca_handle=2 hca_object=max`. */
export function rdmaLines(resources: LinuxResources): string[] {
  return Object.entries(resources.rdma ?? {}).map(([device, limit]) => {
    const handles = limit.hcaHandles === undefined ? 'max' : String(limit.hcaHandles);
    const objects = limit.hcaObjects === undefined ? 'max' : String(limit.hcaObjects);
    return `${device} hca_handle=${handles} hca_object=${objects}`;
  });
}
