// Validates a parsed config.json against the OCI runtime-spec: types, required fields, and the
// rules that would otherwise fail half-way through a launch (relative paths, unknown names).
import { isCapabilityName } from './capabilities.ts';
import {
  absolutePath,
  array,
  boolean,
  checkIdMapping,
  each,
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
import { RLIMIT_TYPES } from './rlimits.ts';
import type { Spec } from './types.ts';
import { checkLinux } from './validate-linux.ts';

const HOOK_KINDS = [
  'prestart',
  'createRuntime',
  'createContainer',
  'startContainer',
  'poststart',
  'poststop',
];
const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'];

/** Checks a parsed config.json and returns it typed, or throws ERR_RUNTIME_SPEC_INVALID. */
export function validate(raw: Json): Spec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw specInvalid('(document)', 'must be a JSON object', 'config.json must hold one JSON object');
  }
  const spec = raw as JsonObject;
  required(spec, 'ociVersion', '', string);
  optional(spec, 'root', '', checkRoot);
  optional(spec, 'process', '', checkProcess);
  optional(spec, 'hostname', '', string);
  optional(spec, 'domainname', '', string);
  optional(spec, 'mounts', '', each(checkMount));
  optional(spec, 'hooks', '', checkHooks);
  optional(spec, 'annotations', '', stringMap);
  optional(spec, 'linux', '', (value, path) => checkLinux(value, { path, spec }));
  return spec as unknown as Spec;
}

function checkRoot(value: Json, path: string): void {
  const root = object(value, path);
  required(root, 'path', path, (v, p) => {
    if (string(v, p) === '')
      throw specInvalid(p, 'must not be empty', 'set root.path to the rootfs directory');
  });
  optional(root, 'readonly', path, boolean);
}

function checkProcess(value: Json, path: string): void {
  const process = object(value, path);
  optional(process, 'terminal', path, boolean);
  optional(process, 'consoleSize', path, (v, p) => {
    const size = object(v, p);
    required(size, 'height', p, (n, q) => integer(n, q, UINT32));
    required(size, 'width', p, (n, q) => integer(n, q, UINT32));
  });
  required(process, 'user', path, checkUser);
  required(process, 'args', path, (v, p) => {
    if (!Array.isArray(v) || v.length === 0 || v.some((arg) => typeof arg !== 'string')) {
      throw specInvalid(p, 'must be a non-empty array of strings', 'set process.args to the command to run');
    }
  });
  optional(process, 'env', path, each(checkEnv));
  required(process, 'cwd', path, (v, p) => {
    absolutePath(v, p);
  });
  optional(process, 'capabilities', path, checkCapabilities);
  optional(process, 'rlimits', path, checkRlimits);
  optional(process, 'noNewPrivileges', path, boolean);
  optional(process, 'apparmorProfile', path, string);
  optional(process, 'selinuxLabel', path, string);
  optional(process, 'oomScoreAdj', path, (v, p) => integer(v, p, { min: -1000, max: 1000 }));
  optional(process, 'ioPriority', path, (v, p) => {
    const prio = object(v, p);
    required(prio, 'class', p, (c, q) =>
      oneOf(c, q, ['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE']),
    );
    required(prio, 'priority', p, (n, q) => integer(n, q, { min: 0, max: 7 }));
  });
  optional(process, 'scheduler', path, object);
}

function checkUser(value: Json, path: string): void {
  const user = object(value, path);
  required(user, 'uid', path, (v, p) => integer(v, p, UINT32));
  required(user, 'gid', path, (v, p) => integer(v, p, UINT32));
  optional(user, 'umask', path, (v, p) => integer(v, p, { min: 0, max: 0o777 }));
  optional(
    user,
    'additionalGids',
    path,
    each((v, p) => integer(v, p, UINT32)),
  );
  optional(user, 'username', path, string);
}

function checkEnv(value: Json, path: string): void {
  const entry = string(value, path);
  if (entry.indexOf('=') < 1) {
    throw specInvalid(
      path,
      `must be NAME=VALUE, got ${JSON.stringify(entry)}`,
      'write environment entries as NAME=VALUE',
    );
  }
}

function checkCapabilities(value: Json, path: string): void {
  const caps = object(value, path);
  for (const set of CAPABILITY_SETS) {
    optional(caps, set, path, (v, p) => {
      for (const [i, name] of stringArray(v, p).entries()) {
        if (!isCapabilityName(name)) {
          throw specInvalid(
            `${p}[${i}]`,
            `unknown capability ${JSON.stringify(name)}`,
            'use names from capabilities(7) with the CAP_ prefix, e.g. CAP_NET_ADMIN',
          );
        }
      }
    });
  }
}

function checkRlimits(value: Json, path: string): void {
  const seen = new Set<string>();
  for (const [i, item] of array(value, path).entries()) {
    const p = `${path}[${i}]`;
    const rlimit = object(item, p);
    required(rlimit, 'type', p, (v, q) => {
      const type = string(v, q);
      if (!RLIMIT_TYPES.includes(type)) {
        throw specInvalid(
          q,
          `unknown rlimit type ${JSON.stringify(type)}`,
          'use a name from getrlimit(2), e.g. RLIMIT_NOFILE',
        );
      }
      if (seen.has(type)) throw specInvalid(q, `duplicate rlimit ${type}`, 'list each rlimit type once');
      seen.add(type);
    });
    required(rlimit, 'hard', p, (v, q) => integer(v, q, UINT64));
    required(rlimit, 'soft', p, (v, q) => integer(v, q, UINT64));
    if ((rlimit.soft as number) > (rlimit.hard as number)) {
      throw specInvalid(
        `${p}.soft`,
        `must not exceed hard (${rlimit.soft as number} > ${rlimit.hard as number})`,
      );
    }
  }
}

function checkMount(value: Json, path: string): void {
  const mount = object(value, path);
  required(mount, 'destination', path, absolutePath);
  optional(mount, 'source', path, string);
  optional(mount, 'type', path, string);
  optional(mount, 'options', path, stringArray);
  optional(mount, 'uidMappings', path, each(checkIdMapping));
  optional(mount, 'gidMappings', path, each(checkIdMapping));
}

function checkHooks(value: Json, path: string): void {
  const hooks = object(value, path);
  for (const kind of Object.keys(hooks)) {
    if (!HOOK_KINDS.includes(kind)) {
      throw specInvalid(`${path}.${kind}`, 'unknown hook kind', `use one of ${HOOK_KINDS.join(', ')}`);
    }
    optional(hooks, kind, path, each(checkHook));
  }
}

function checkHook(value: Json, path: string): void {
  const hook = object(value, path);
  required(hook, 'path', path, absolutePath);
  optional(hook, 'args', path, stringArray);
  optional(hook, 'env', path, each(checkEnv));
  optional(hook, 'timeout', path, (v, p) => integer(v, p, { min: 1 }));
}
