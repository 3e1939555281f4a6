// Docker's default seccomp profile (moby profiles/seccomp/default.json), for amd64. Its rules
// that depend on capabilities or architectures are kept as they are in Docker and resolved
// by seccompProfileFor(), so a container given more capabilities gets the calls Docker would
// allow it (e.g. CAP_SYS_ADMIN → mount, unshare, setns).
import type { Seccomp, SeccompArg, SeccompSyscall } from '../spec/types.ts';

interface Condition {
  caps?: string[];
  arches?: string[];
}

interface ProfileRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
  includes?: Condition;
  excludes?: Condition;
}

/** Docker's name for this machine's architecture, as its profile's conditions use it. */
const ARCH = 'amd64';
const ERRNO_EPERM = 1;
const ERRNO_ENOSYS = 38;
/** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: clone may not create namespaces. */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** Calls Docker allows every container. */
const ALLOWED = `
accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime
clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create
epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd
eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate
ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid
getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit
get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid
getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl
io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit
io_uring_enter io_uring_register io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset
landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek
lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret mincore mkdir
mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open
mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget
msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open
openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll
ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64
pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg
recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir
rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam
sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler
sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64
sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32
setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32
setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn
socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range
syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime
utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
`;

const allow = (names: string, extra: Omit<ProfileRule, 'names' | 'action'> = {}): ProfileRule => ({
  names: names.split(' '),
  action: 'SCMP_ACT_ALLOW',
  ...extra,
});
const onlyWith = (...caps: string[]): { includes: Condition } => ({ includes: { caps } });
const personality = (value: number): ProfileRule =>
  allow('personality', { args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] });

function profileRules(): ProfileRule[] {
  return [
    { names: ALLOWED.trim().split(/\s+/), action: 'SCMP_ACT_ALLOW' },
    // Docker's "minKernel 4.8" rule: every kernel Berth runs on is newer.
    allow('process_vm_readv process_vm_writev ptrace'),
    allow('socket', { args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] }), // no AF_VSOCK
    personality(0x0), // PER_LINUX
    personality(0x8), // UNAME26
    personality(0x20000), // PER_LINUX32
    personality(0x20008), // PER_LINUX32 | UNAME26
    personality(0xffffffff), // query the current persona
    allow('arch_prctl', { includes: { arches: ['amd64', 'x32'] } }),
    allow('modify_ldt', { includes: { arches: ['amd64', 'x32', 'x86'] } }),
    allow('open_by_handle_at', onlyWith('CAP_DAC_READ_SEARCH')),
    allow(
      'bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr ' +
        'move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog ' +
        'umount umount2 unshare',
      onlyWith('CAP_SYS_ADMIN'),
    ),
    allow('clone', {
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
    }),
    // glibc falls back to clone when clone3 reports ENOSYS, where the flags can be checked.
    {
      names: ['clone3'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: ERRNO_ENOSYS,
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
    allow('reboot', onlyWith('CAP_SYS_BOOT')),
    allow('chroot', onlyWith('CAP_SYS_CHROOT')),
    allow('delete_module init_module finit_module', onlyWith('CAP_SYS_MODULE')),
    allow('acct', onlyWith('CAP_SYS_PACCT')),
    allow(
      'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace',
      onlyWith('CAP_SYS_PTRACE'),
    ),
    allow('iopl ioperm', onlyWith('CAP_SYS_RAWIO')),
    allow('settimeofday stime clock_settime clock_settime64', onlyWith('CAP_SYS_TIME')),
    allow('vhangup', onlyWith('CAP_SYS_TTY_CONFIG')),
    allow('get_mempolicy mbind set_mempolicy set_mempolicy_home_node', onlyWith('CAP_SYS_NICE')),
    allow('syslog', onlyWith('CAP_SYSLOG')),
    allow('bpf', onlyWith('CAP_BPF')),
    allow('perf_event_open', onlyWith('CAP_PERFMON')),
  ];
}

/** Docker's default profile resolved for amd64 and the given bounding capabilities. */
export function seccompProfileFor(options: { capabilities: readonly string[] }): Seccomp {
  const caps = new Set(options.capabilities);
  const applies = (rule: ProfileRule): boolean => {
    const inc = rule.includes ?? {};
    const exc = rule.excludes ?? {};
    if (inc.caps && !inc.caps.every((cap) => caps.has(cap))) return false;
    if (inc.arches && !inc.arches.includes(ARCH)) return false;
    if (exc.caps?.some((cap) => caps.has(cap))) return false;
    if (exc.arches?.includes(ARCH)) return false;
    return true;
  };
  const syscalls: SeccompSyscall[] = profileRules()
    .filter(applies)
    .map(({ names, action, errnoRet, args }) => ({
      names,
      action,
      ...(errnoRet === undefined ? {} : { errnoRet }),
      ...(args === undefined ? {} : { args }),
    }));
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: ERRNO_EPERM,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls,
  };
}
