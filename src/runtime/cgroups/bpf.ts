// bpf(2) through koffi: load a cgroup device program and make it the one attached to a cgroup.
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import koffi from 'koffi';
import { BerthError, SyscallError } from '../../core/index.ts';
import { errnoName, lastErrno } from '../../core/libc.ts';

/** Installs device programs on cgroup v2 directories. */
export interface DeviceFilterLoader {
  /** Loads `program` (encoded eBPF) and attaches it to `cgroupDir`, replacing earlier device programs. */
  replace(cgroupDir: string, program: Buffer): void;
}

const SYS_BPF = 321; // x86_64
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;
const ATTR_SIZE = 128;
const LOG_SIZE = 64 * 1024;

type Syscall = (nr: number, cmd: number, attr: Buffer, size: number) => number | bigint;
let syscall: Syscall | undefined;

function bpf(cmd: number, attr: Buffer, step: string, path: string): number {
  syscall ??= koffi
    .load('libc.so.6')
    .func('long syscall(long nr, int cmd, void *attr, unsigned int size)') as Syscall;
  const result = Number(syscall(SYS_BPF, cmd, attr, ATTR_SIZE));
  if (result >= 0) return result;
  throw new SyscallError({ syscall: 'bpf', errno: errnoName(lastErrno()), path, step });
}

/** Native memory holding `bytes`, and its address for a bpf_attr pointer field. */
function nativeCopy(bytes: Buffer): { ptr: unknown; address: bigint } {
  const ptr = koffi.alloc('uint8', Math.max(bytes.length, 1));
  new Uint8Array(koffi.view(ptr, bytes.length)).set(bytes);
  return { ptr, address: koffi.address(ptr) };
}

function loadProgram(program: Buffer, cgroupDir: string): number {
  const insns = nativeCopy(program);
  const license = nativeCopy(Buffer.from('Apache-2.0\0'));
  const log = nativeCopy(Buffer.alloc(LOG_SIZE));
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
  attr.writeUInt32LE(program.length / 8, 4);
  attr.writeBigUInt64LE(insns.address, 8);
  attr.writeBigUInt64LE(license.address, 16);
  attr.writeUInt32LE(1, 24); // log_level: the verifier says why it refused
  attr.writeUInt32LE(LOG_SIZE, 28);
  attr.writeBigUInt64LE(log.address, 32);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 68);
  try {
    return bpf(BPF_PROG_LOAD, attr, 'load device filter for', cgroupDir);
  } catch (err) {
    const text = Buffer.from(koffi.view(log.ptr, LOG_SIZE)).toString('utf8').replace(/\0.*$/s, '').trim();
    throw new BerthError({
      code: 'ERR_RUNTIME_CGROUP_DEVICE_FILTER',
      category: 'Internal',
      message: `${(err as Error).message}${text === '' ? '' : ` (verifier: ${text.split('\n').slice(-2).join(' ')})`}`,
      hint: 'loading cgroup device programs needs CAP_SYS_ADMIN (CAP_BPF) and a kernel with CONFIG_CGROUP_BPF',
      cause: err,
    });
  } finally {
    for (const p of [insns, license, log]) koffi.free(p.ptr);
  }
}

function attachedPrograms(cgroupFd: number, cgroupDir: string): number[] {
  const ids = koffi.alloc('uint32', 64);
  try {
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(cgroupFd, 0);
    attr.writeUInt32LE(BPF_CGROUP_DEVICE, 4);
    attr.writeBigUInt64LE(koffi.address(ids), 16);
    attr.writeUInt32LE(64, 24);
    bpf(BPF_PROG_QUERY, attr, 'query device filters of', cgroupDir);
    const count = attr.readUInt32LE(24);
    return [...new Uint32Array(koffi.view(ids, count * 4))];
  } finally {
    koffi.free(ids);
  }
}

function detach(cgroupFd: number, progId: number, cgroupDir: string): void {
  const byId = Buffer.alloc(ATTR_SIZE);
  byId.writeUInt32LE(progId, 0);
  const progFd = bpf(BPF_PROG_GET_FD_BY_ID, byId, 'open device filter of', cgroupDir);
  try {
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(cgroupFd, 0);
    attr.writeUInt32LE(progFd, 4);
    attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
    bpf(BPF_PROG_DETACH, attr, 'detach device filter from', cgroupDir);
  } finally {
    closeSync(progFd);
  }
}

/** The real loader (runc's order: attach the new program first, then detach the old ones). */
export const kernelDeviceFilterLoader: DeviceFilterLoader = {
  replace(cgroupDir, program) {
    const cgroupFd = openSync(cgroupDir, fsConstants.O_DIRECTORY | fsConstants.O_RDONLY);
    try {
      const old = attachedPrograms(cgroupFd, cgroupDir);
      const progFd = loadProgram(program, cgroupDir);
      try {
        const attr = Buffer.alloc(ATTR_SIZE);
        attr.writeUInt32LE(cgroupFd, 0);
        attr.writeUInt32LE(progFd, 4);
        attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
        attr.writeUInt32LE(BPF_F_ALLOW_MULTI, 12);
        bpf(BPF_PROG_ATTACH, attr, 'attach device filter to', cgroupDir);
      } finally {
        closeSync(progFd);
      }
      for (const id of old) detach(cgroupFd, id, cgroupDir);
    } finally {
      closeSync(cgroupFd);
    }
  },
};
