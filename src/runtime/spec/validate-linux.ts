// Validates config.json's `linux` section, including the rules that tie its parts together
// (a hostname needs a UTS namespace, id mappings need a user namespace).
import {
  absolutePath,
  array,
  boolean,
  checkIdMapping,
  child,
  each,
  INT64,
  integer,
  type Json,
  type JsonObject,
  object,
  oneOf,
  optional,
  required,
  specInvalid,
  string,
  stringArray,
  stringMap,
  UINT32,
  UINT64,
} from './check.ts';

export const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;
const PROPAGATIONS = [
  'shared',
  'slave',
  'private',
  'unbindable',
  'rshared',
  'rslave',
  'rprivate',
  'runbindable',
];

interface LinuxContext {
  path: string;
  spec: JsonObject;
}

export function checkLinux(value: Json, context: LinuxContext): void {
  const { path } = context;
  const linux = object(value, path);
  const namespaces = new Set<string>();
  const joined = new Set<string>();
  optional(linux, 'namespaces', path, (v, p) => checkNamespaces(v, p, { namespaces, joined }));
  optional(linux, 'uidMappings', path, each(checkIdMapping));
  optional(linux, 'gidMappings', path, each(checkIdMapping));
  optional(linux, 'timeOffsets', path, object);
  optional(linux, 'devices', path, each(checkDevice));
  optional(linux, 'cgroupsPath', path, string);
  optional(linux, 'resources', path, checkResources);
  optional(linux, 'rootfsPropagation', path, (v, p) => oneOf(v, p, PROPAGATIONS));
  optional(linux, 'seccomp', path, checkSeccomp);
  optional(linux, 'sysctl', path, stringMap);
  optional(linux, 'maskedPaths', path, each(absolutePath));
  optional(linux, 'readonlyPaths', path, each(absolutePath));
  optional(linux, 'mountLabel', path, string);
  optional(linux, 'personality', path, (v, p) => {
    const personality = object(v, p);
    required(personality, 'domain', p, (d, q) => oneOf(d, q, ['LINUX', 'LINUX32']));
    optional(personality, 'flags', p, stringArray);
  });
  optional(linux, 'intelRdt', path, object);
  checkNamespaceRules(linux, { ...context, namespaces, joined });
}

function checkNamespaces(
  value: Json,
  path: string,
  seen: { namespaces: Set<string>; joined: Set<string> },
): void {
  for (const [i, item] of array(value, path).entries()) {
    const p = `${path}[${i}]`;
    const ns = object(item, p);
    required(ns, 'type', p, (v, q) => {
      const type = string(v, q);
      if (!(NAMESPACE_TYPES as readonly string[]).includes(type)) {
        throw specInvalid(
          q,
          `unknown namespace type ${JSON.stringify(type)}`,
          `use one of ${NAMESPACE_TYPES.join(', ')}`,
        );
      }
      if (seen.namespaces.has(type)) {
        throw specInvalid(q, `duplicate namespace ${JSON.stringify(type)}`, 'list each namespace type once');
      }
      seen.namespaces.add(type);
    });
    optional(ns, 'path', p, absolutePath);
    if (ns.path !== undefined) seen.joined.add(ns.type as string);
  }
}

function checkNamespaceRules(
  linux: JsonObject,
  context: LinuxContext & { namespaces: Set<string>; joined: Set<string> },
): void {
  const { path, spec, namespaces, joined } = context;
  const mapped = linux.uidMappings !== undefined || linux.gidMappings !== undefined;
  if (mapped && !namespaces.has('user')) {
    throw specInvalid(
      child(path, 'uidMappings'),
      'id mappings need a user namespace',
      'add {"type": "user"} to linux.namespaces',
    );
  }
  if (namespaces.has('user') && !joined.has('user')) {
    for (const key of ['uidMappings', 'gidMappings']) {
      if (!Array.isArray(linux[key]) || linux[key].length === 0) {
        throw specInvalid(
          child(path, key),
          'a new user namespace needs at least one mapping',
          `add ${key} to linux`,
        );
      }
    }
  }
  if (spec.hostname !== undefined && spec.hostname !== '' && !namespaces.has('uts')) {
    throw specInvalid(
      'hostname',
      'setting the hostname needs a private UTS namespace',
      'add {"type": "uts"} to linux.namespaces',
    );
  }
  if (spec.domainname !== undefined && spec.domainname !== '' && !namespaces.has('uts')) {
    throw specInvalid(
      'domainname',
      'setting the domainname needs a private UTS namespace',
      'add {"type": "uts"} to linux.namespaces',
    );
  }
}

function checkDevice(value: Json, path: string): void {
  const device = object(value, path);
  const type = (() => {
    required(device, 'type', path, (v, p) => oneOf(v, p, ['c', 'b', 'u', 'p']));
    return device.type as string;
  })();
  required(device, 'path', path, absolutePath);
  for (const key of ['major', 'minor']) {
    if (type !== 'p') required(device, key, path, (v, p) => integer(v, p, { min: 0, max: 0xfffff }));
  }
  optional(device, 'fileMode', path, (v, p) => integer(v, p, { min: 0, max: 0o7777 }));
  optional(device, 'uid', path, (v, p) => integer(v, p, UINT32));
  optional(device, 'gid', path, (v, p) => integer(v, p, UINT32));
}

function checkResources(value: Json, path: string): void {
  const resources = object(value, path);
  optional(resources, 'devices', path, each(checkDeviceRule));
  optional(resources, 'memory', path, (v, p) =>
    numbers(v, p, ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP']),
  );
  optional(resources, 'cpu', path, (v, p) => {
    const cpu = object(v, p);
    for (const key of ['shares', 'period', 'realtimePeriod', 'burst'])
      optional(cpu, key, p, (n, q) => integer(n, q, UINT64));
    for (const key of ['quota', 'realtimeRuntime', 'idle'])
      optional(cpu, key, p, (n, q) => integer(n, q, INT64));
    optional(cpu, 'cpus', p, string);
    optional(cpu, 'mems', p, string);
  });
  optional(resources, 'pids', path, (v, p) =>
    required(object(v, p), 'limit', p, (n, q) => integer(n, q, INT64)),
  );
  optional(resources, 'blockIO', path, (v, p) => {
    const blockIO = object(v, p);
    // 0 means "not set": Docker sends it for every container (runc treats it the same way).
    const weight = (n: Json, q: string) => (n === 0 ? 0 : integer(n, q, { min: 10, max: 1000 }));
    optional(blockIO, 'weight', p, weight);
    optional(blockIO, 'leafWeight', p, weight);
  });
  optional(resources, 'hugepageLimits', path, (v, p) => {
    for (const [i, item] of array(v, p).entries()) {
      const limit = object(item, `${p}[${i}]`);
      required(limit, 'pageSize', `${p}[${i}]`, string);
      required(limit, 'limit', `${p}[${i}]`, (n, q) => integer(n, q, UINT64));
    }
  });
  optional(resources, 'unified', path, stringMap);
}

function numbers(value: Json, path: string, keys: string[]): void {
  const obj = object(value, path);
  for (const key of keys) optional(obj, key, path, (n, q) => integer(n, q, { min: -1, max: INT64.max }));
  optional(obj, 'swappiness', path, (n, q) => integer(n, q, { min: 0, max: 100 }));
  optional(obj, 'disableOOMKiller', path, boolean);
}

function checkDeviceRule(value: Json, path: string): void {
  const rule = object(value, path);
  required(rule, 'allow', path, boolean);
  optional(rule, 'type', path, (v, p) => oneOf(v, p, ['a', 'c', 'b']));
  optional(rule, 'major', path, (v, p) => integer(v, p, { min: -1 }));
  optional(rule, 'minor', path, (v, p) => integer(v, p, { min: -1 }));
  optional(rule, 'access', path, (v, p) => {
    if (!/^[rwm]*$/.test(string(v, p)))
      throw specInvalid(p, `must be made of r, w and m, got ${JSON.stringify(v)}`);
  });
}

/** Shape only: the seccomp compiler checks actions, operators and names. */
function checkSeccomp(value: Json, path: string): void {
  const seccomp = object(value, path);
  required(seccomp, 'defaultAction', path, string);
  optional(seccomp, 'defaultErrnoRet', path, (v, p) => integer(v, p, UINT32));
  optional(seccomp, 'architectures', path, stringArray);
  optional(seccomp, 'flags', path, stringArray);
  optional(seccomp, 'listenerPath', path, string);
  optional(seccomp, 'listenerMetadata', path, string);
  optional(seccomp, 'syscalls', path, (v, p) => {
    for (const [i, item] of array(v, p).entries()) {
      const q = `${p}[${i}]`;
      const rule = object(item, q);
      required(rule, 'names', q, stringArray);
      required(rule, 'action', q, string);
      optional(rule, 'errnoRet', q, (n, r) => integer(n, r, UINT32));
      optional(rule, 'args', q, each(checkSeccompArg));
    }
  });
}

function checkSeccompArg(value: Json, path: string): void {
  const arg = object(value, path);
  required(arg, 'index', path, (v, p) => integer(v, p, { min: 0, max: 5 }));
  required(arg, 'value', path, (v, p) => integer(v, p, UINT64));
  optional(arg, 'valueTwo', path, (v, p) => integer(v, p, UINT64));
  required(arg, 'op', path, string);
}
