// Kernel facts about the planner's connections and its lock, through koffi (Node exposes neither).
import koffi from 'koffi';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const LOCK_EX = 2;
const LOCK_NB = 4;

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, len: Buffer) => number;
type Flock = (fd: number, op: number) => number;

let libc: { getsockopt: GetSockOpt; flock: Flock } | undefined;

function load() {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    getsockopt: lib.func(
      'int getsockopt(int, int, int, _Out_ uint8_t *value, _Inout_ uint8_t *len)',
    ) as GetSockOpt,
    flock: lib.func('int flock(int, int)') as Flock,
  };
  return libc;
}

/** The uid of the process at the other end of a connected unix socket (SO_PEERCRED). */
export function peerUid(fd: number): number | undefined {
  const cred = Buffer.alloc(12);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(12);
  if (load().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) !== 0) return undefined;
  return cred.readUInt32LE(4);
}

/** Takes an exclusive flock without waiting; false when another process holds it. */
export function tryLock(fd: number): boolean {
  return load().flock(fd, LOCK_EX | LOCK_NB) === 0;
}
