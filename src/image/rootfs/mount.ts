// Mounting a snapshot's mount list on the host: the one kernel call both the build executor (a
// step's root) and the container driver (`berth run`'s root) make, through an interface for tests.
import { failSyscall, libcFunctions } from '../../core/libc.ts';
import type { Mount } from '../../storage/index.ts';

export interface MountSyscalls {
  /** mount(2) with a data string (overlay options). */
  mount(options: { source: string; target: string; type: string; flags: number; data: string }): void;
  /** umount2(2) with MNT_DETACH. */
  unmount(target: string): void;
}

/** mount(2) flags used here. */
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
const MNT_DETACH = 2;

interface Libc {
  mount: (source: string, target: string, type: string, flags: number, data: string) => number;
  umount2: (target: string, flags: number) => number;
}

const load = libcFunctions<Libc>({
  mount:
    'int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)',
  umount2: 'int umount2(const char *target, int flags)',
});

/** The real implementation: libc through koffi, loaded on first use. */
export const libcMountSyscalls: MountSyscalls = {
  mount({ source, target, type, flags, data }) {
    if (load().mount(source, target, type, flags, data) !== 0) failSyscall(`mount ${type}`, target);
  },
  unmount(target) {
    if (load().umount2(target, MNT_DETACH) !== 0) failSyscall('umount2', target);
  },
};

/** Mounts a snapshot's mount list on `target`; overlay's copy-up is kept free of redirects. */
export function mountSnapshot(sys: MountSyscalls, mounts: Mount[], target: string): void {
  const [mount] = mounts;
  if (mounts.length !== 1 || mount === undefined) throw new Error(`expected one mount, got ${mounts.length}`);
  if (mount.type === 'bind') {
    sys.mount({ source: mount.source, target, type: '', flags: MS_BIND | MS_REC, data: '' });
  } else if (mount.type === 'overlay') {
    // A build reads its layer back from the upper dir: no redirect or metacopy xattrs may stand in for data.
    const data = [...mount.options, 'redirect_dir=off', 'metacopy=off'].join(',');
    sys.mount({ source: 'overlay', target, type: 'overlay', flags: 0, data });
  } else throw new Error(`cannot mount snapshot of type ${mount.type}`);
}
