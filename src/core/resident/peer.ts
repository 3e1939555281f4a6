// Kernel facts about a resident process's connections and its lock, through koffi (Node exposes neither).
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { libcFunctions } from '../libc.ts';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const LOCK_EX = 2;
const LOCK_NB = 4;

interface Libc {
  getsockopt: (fd: number, level: number, name: number, value: Buffer, len: Buffer) => number;
  flock: (fd: number, op: number) => number;
}

const load = libcFunctions<Libc>({
  getsockopt: 'int getsockopt(int, int, int, _Out_ uint8_t *value, _Inout_ uint8_t *len)',
  flock: 'int flock(int, int)',
});

/** The pid (as this process's pid namespace sees it; 0 when it cannot) and uid of a socket's peer. */
export function peerCredentials(fd: number): { pid: number; uid: number } | undefined {
  const cred = Buffer.alloc(12);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(12);
  if (load().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) !== 0) return undefined;
  return { pid: cred.readInt32LE(0), uid: cred.readUInt32LE(4) };
}

// A resident process acts for its caller: it must see the same pids, files and network as the caller.
const SHARED_NAMESPACES = ['pid', 'mnt', 'net', 'user'];

/**
 * Whether `pid` lives in this process's pid, mount, network and user namespaces. A caller in
 * another pid namespace (a shim inside a container, a daemon under `unshare`) reports pids the
 * resident process would misread, so such calls take the front-end's slow path.
 */
export function sharesNamespaces(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    return SHARED_NAMESPACES.every(
      (ns) => readlinkSync(`/proc/${pid}/ns/${ns}`) === readlinkSync(`/proc/self/ns/${ns}`),
    );
  } catch {
    return false;
  }
}

/** Takes an exclusive flock without waiting; false when another process holds it. */
function tryLock(fd: number): boolean {
  return load().flock(fd, LOCK_EX | LOCK_NB) === 0;
}

/**
 * The resident process's "only one of me" lock: the fd the front-end passed (`inherited`, already
 * locked), or `SOCKET.lock` opened and locked here when started by hand; undefined when another
 * process holds it.
 */
export function holdLock(socket: string, inherited: string | undefined): number | undefined {
  const fd = inherited ? Number(inherited) : -1;
  if (fd >= 0) return fd;
  const opened = openSync(`${socket}.lock`, 'a', 0o600);
  if (tryLock(opened)) return opened;
  closeSync(opened);
  return undefined;
}
