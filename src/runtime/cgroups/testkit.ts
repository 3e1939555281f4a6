// A cgroup tree in a temp dir that behaves like the kernel's where the managers depend on it
// (interface files appear on mkdir, subtree_control feeds children's cgroup.controllers,
// cgroup.freeze updates cgroup.events, rmdir refuses a populated cgroup), recording every write.
// Used only by unit tests.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { SyscallError } from '../../core/index.ts';
import { type CgroupFs, nodeCgroupFs, writeError } from './fs.ts';

export interface SimulatedTree {
  root: string;
  mountinfo: string;
  procCgroup: string;
  fs: CgroupFs;
  /** Every write, as `<path relative to root>: <value>`, in order. */
  writes: string[];
  /** Signals sent through the manager: `<pid>:<signal>`. */
  signals: string[];
  signal: (pid: number, signal: number) => void;
  read(path: string): string;
  remove(): void;
}

const V2_FILES: Record<string, string[]> = {
  cgroup: ['cgroup.procs', 'cgroup.subtree_control', 'cgroup.freeze', 'cgroup.kill', 'cgroup.type'],
  memory: [
    'memory.max',
    'memory.high',
    'memory.low',
    'memory.swap.max',
    'memory.current',
    'memory.events',
    'memory.stat',
  ],
  cpu: ['cpu.weight', 'cpu.max', 'cpu.max.burst', 'cpu.idle', 'cpu.stat'],
  cpuset: ['cpuset.cpus', 'cpuset.mems'],
  pids: ['pids.max', 'pids.current'],
  io: ['io.max', 'io.weight', 'io.stat'],
  hugetlb: ['hugetlb.2MB.max', 'hugetlb.2MB.current', 'hugetlb.2MB.events'],
};

const V1_FILES: Record<string, string[]> = {
  cpu: [
    'cpu.shares',
    'cpu.cfs_period_us',
    'cpu.cfs_quota_us',
    'cpu.rt_period_us',
    'cpu.rt_runtime_us',
    'cpu.stat',
  ],
  cpuacct: ['cpuacct.usage', 'cpuacct.stat', 'cpuacct.usage_percpu'],
  cpuset: ['cpuset.cpus', 'cpuset.mems'],
  memory: [
    'memory.limit_in_bytes',
    'memory.soft_limit_in_bytes',
    'memory.usage_in_bytes',
    'memory.max_usage_in_bytes',
    'memory.failcnt',
    'memory.swappiness',
    'memory.oom_control',
    'memory.stat',
    'memory.kmem.tcp.limit_in_bytes',
  ],
  devices: ['devices.allow', 'devices.deny', 'devices.list'],
  freezer: ['freezer.state'],
  blkio: ['blkio.bfq.weight', 'blkio.bfq.weight_device', 'blkio.throttle.read_bps_device'],
  pids: ['pids.max', 'pids.current'],
  hugetlb: ['hugetlb.2MB.limit_in_bytes', 'hugetlb.2MB.usage_in_bytes'],
};

const DEFAULTS: Record<string, string> = {
  'cgroup.events': 'populated 0\nfrozen 0\n',
  'cpuset.cpus': '',
  'freezer.state': 'THAWED\n',
  'memory.limit_in_bytes': '9223372036854771712\n',
  'cpu.shares': '1024\n',
  'pids.max': 'max\n',
};

export interface SimulatedTreeOptions {
  mode: 'v1' | 'v2' | 'hybrid';
  /** v1 hierarchies to mount (co-mounted ones joined with a comma); default all of V1_FILES. */
  v1?: string[];
  /** Extra v1 memory files, e.g. memsw. */
  withSwapAccounting?: boolean;
}

/** Lays out a cgroup tree in a temp dir. */
export function simulateCgroupTree(options: SimulatedTreeOptions): SimulatedTree {
  const root = mkdtempSync(join(tmpdir(), 'berth-cgroup-sim-'));
  const v1 =
    options.mode === 'v2'
      ? []
      : (options.v1 ?? [
          'cpu,cpuacct',
          'cpuset',
          'memory',
          'devices',
          'freezer',
          'blkio',
          'pids',
          'name=systemd',
        ]);
  const lines: string[] = [];
  const fileSets = new Map<string, string[]>();
  v1.forEach((list, i) => {
    const mount = join(root, list.replace('name=', ''));
    const files = list.split(',').flatMap((c) => V1_FILES[c] ?? []);
    if (list.includes('memory') && options.withSwapAccounting) files.push('memory.memsw.limit_in_bytes');
    fileSets.set(mount, ['cgroup.procs', 'tasks', ...files]);
    lines.push(`${30 + i} 20 0:${30 + i} / ${mount} rw - cgroup cgroup rw,${list}`);
  });
  const unified =
    options.mode === 'v2' ? root : options.mode === 'hybrid' ? join(root, 'unified') : undefined;
  if (unified !== undefined) lines.push(`50 20 0:50 / ${unified} rw - cgroup2 cgroup2 rw`);
  const tree: SimulatedTree = {
    root,
    mountinfo: `${lines.join('\n')}\n`,
    procCgroup: '1:cpu,cpuacct:/\n0::/user.slice\n',
    fs: undefined as unknown as CgroupFs,
    writes: [],
    signals: [],
    signal: (pid, signal) => killSimulated(tree, pid, signal),
    read: (path) => readFileSync(path, 'utf8'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
  for (const [mount, files] of fileSets)
    populate(mount, files, { 'cpuset.cpus': '0-1\n', 'cpuset.mems': '0\n' });
  if (unified !== undefined) {
    mkdirSync(unified, { recursive: true });
    const controllers =
      options.mode === 'v2' ? Object.keys(V2_FILES).filter((c) => c !== 'cgroup') : ['hugetlb'];
    writeFileSync(join(unified, 'cgroup.controllers'), `${controllers.join(' ')}\n`);
    populate(unified, V2_FILES.cgroup!, {});
  }
  tree.fs = simulatedFs(tree, fileSets);
  return tree;
}

function populate(dir: string, files: string[], values: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(join(dir, file), values[file] ?? DEFAULTS[file] ?? '');
}

function mountOf(dir: string, mounts: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const m of mounts)
    if ((dir === m || dir.startsWith(`${m}/`)) && (best === undefined || m.length > best.length)) best = m;
  return best;
}

function simulatedFs(tree: SimulatedTree, v1: Map<string, string[]>): CgroupFs {
  return {
    ...nodeCgroupFs,
    async mkdir(dir) {
      const made = await nodeCgroupFs.mkdir(dir);
      if (!made) return false;
      const v1Files = v1.get(mountOf(dir, v1.keys()) ?? '');
      if (v1Files !== undefined) {
        populate(dir, v1Files, {});
        return true;
      }
      const enabled = tree
        .read(join(posix.dirname(dir), 'cgroup.subtree_control'))
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      writeFileSync(join(dir, 'cgroup.controllers'), `${enabled.join(' ')}\n`);
      populate(dir, [...V2_FILES.cgroup!, 'cgroup.events', ...enabled.flatMap((c) => V2_FILES[c] ?? [])], {});
      return true;
    },
    async write(path, value) {
      tree.writes.push(`${posix.relative(tree.root, path)}: ${value}`);
      await nodeCgroupFs.read(path).catch((err: unknown) => {
        throw writeError(path, value, (err as SyscallError).cause);
      });
      writeFileSync(path, applyKernelSemantics(tree, path, value));
    },
    async rmdir(dir) {
      if (!(await nodeCgroupFs.exists(dir))) return false;
      const busy =
        tree.read(join(dir, 'cgroup.procs')).trim() !== '' || (await nodeCgroupFs.children(dir)).length > 0;
      if (busy) throw new SyscallError({ syscall: 'rmdir', errno: 'EBUSY', path: dir, step: 'rmdir' });
      rmSync(dir, { recursive: true });
      return true;
    },
  };
}

// The new content of an interface file after a write, as the kernel would show it.
function applyKernelSemantics(tree: SimulatedTree, path: string, value: string): string {
  const dir = posix.dirname(path);
  const file = posix.basename(path);
  const current = tree.read(path);
  if (file === 'cgroup.procs') return `${current}${value}\n`;
  if (file === 'cgroup.subtree_control') {
    const available = tree.read(join(dir, 'cgroup.controllers')).trim().split(/\s+/);
    const set = new Set(current.trim().split(/\s+/).filter(Boolean));
    for (const token of value.split(' ')) {
      const name = token.slice(1);
      if (!available.includes(name))
        throw writeError(path, value, Object.assign(new Error(), { code: 'EINVAL' }));
      if (token.startsWith('+')) set.add(name);
      else set.delete(name);
    }
    return `${[...set].join(' ')}\n`;
  }
  if (file === 'cgroup.freeze') writeFileSync(join(dir, 'cgroup.events'), `populated 1\nfrozen ${value}\n`);
  if (file === 'cgroup.kill') {
    for (const pid of tree.read(join(dir, 'cgroup.procs')).split('\n').filter(Boolean)) {
      killSimulated(tree, Number(pid), 9);
    }
    return '';
  }
  if (file === 'devices.allow' || file === 'devices.deny') return `${current}${value}\n`;
  return `${value}\n`;
}

// A signalled process dies: it leaves every cgroup.procs in the tree.
function killSimulated(tree: SimulatedTree, pid: number, signal: number): void {
  tree.signals.push(`${pid}:${signal}`);
  const walk = (dir: string): void => {
    const procs = join(dir, 'cgroup.procs');
    try {
      const kept = tree
        .read(procs)
        .split('\n')
        .filter((l) => l !== '' && Number(l) !== pid);
      writeFileSync(procs, kept.map((l) => `${l}\n`).join(''));
    } catch {
      // not a cgroup directory
    }
    for (const child of readdirNames(dir)) walk(join(dir, child));
  };
  walk(tree.root);
}

function readdirNames(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}
