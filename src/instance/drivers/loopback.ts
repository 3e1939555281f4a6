// Bringing up `lo` in a container's new network namespace (a fresh namespace has it down): enter
// the namespace on this thread with setns(2), set IFF_UP with an ioctl, and come back. Only the
// calling thread moves, and nothing else runs on it meanwhile (all of it is synchronous).
import { closeSync, openSync } from 'node:fs';
import { failSyscall as fail, libcFunctions } from '../../core/libc.ts';

/** Network set-up of a created container, before its process starts. */
export interface NetworkSetup {
  /** Sets the loopback interface up in the network namespace of `pid`. */
  loopbackUp(pid: number): void;
}

const CLONE_NEWNET = 0x40000000;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
/** struct ifreq: a 16-byte name, then a union whose first member here is `short ifr_flags`. */
const IFREQ_SIZE = 40;

interface Libc {
  setns: (fd: number, type: number) => number;
  socket: (domain: number, type: number, protocol: number) => number;
  ioctl: (fd: number, request: number, arg: Buffer) => number;
}

const load = libcFunctions<Libc>({
  setns: 'int setns(int fd, int nstype)',
  socket: 'int socket(int domain, int type, int protocol)',
  ioctl: 'int ioctl(int fd, unsigned long request, void *arg)',
});

function setLoopbackFlags(c: Libc): void {
  const sock = c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) fail('socket');
  try {
    const ifreq = Buffer.alloc(IFREQ_SIZE);
    ifreq.write('lo\0', 0, 'latin1');
    if (c.ioctl(sock, SIOCGIFFLAGS, ifreq) < 0) fail('ioctl SIOCGIFFLAGS', 'lo');
    ifreq.writeInt16LE(ifreq.readInt16LE(16) | IFF_UP, 16);
    if (c.ioctl(sock, SIOCSIFFLAGS, ifreq) < 0) fail('ioctl SIOCSIFFLAGS', 'lo');
  } finally {
    closeSync(sock);
  }
}

/** The real implementation: setns + ioctl through libc. */
export const kernelNetworkSetup: NetworkSetup = {
  loopbackUp(pid) {
    const c = load();
    const own = openSync('/proc/thread-self/ns/net', 'r');
    try {
      const target = openSync(`/proc/${pid}/ns/net`, 'r');
      try {
        if (c.setns(target, CLONE_NEWNET) !== 0) fail('setns', `/proc/${pid}/ns/net`);
      } finally {
        closeSync(target);
      }
      try {
        setLoopbackFlags(c);
      } finally {
        // Coming back must not fail silently: this thread would stay in the container's namespace.
        if (c.setns(own, CLONE_NEWNET) !== 0) fail('setns', '/proc/thread-self/ns/net');
      }
    } finally {
      closeSync(own);
    }
  },
};
