/* The executor: runs the plan's steps in order. Steps before OP_CLONE run in the launcher; at
 * OP_CLONE it forks into the new namespaces. The launcher then runs the steps up to OP_SPLIT
 * (id maps, pid report) and exits or, in monitor mode, waits for the child and reports its exit;
 * the child skips to the step after OP_SPLIT and runs the rest, ending in execve. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"

int step_fail(struct launch *l, const char *syscall, const char *path) {
  l->err = errno;
  l->syscall = syscall;
  l->path = path;
  return -1;
}

int step_fail_detail(struct launch *l, const char *syscall, const char *path, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(l->detail, sizeof(l->detail), fmt, ap);
  va_end(ap);
  l->err = 0;
  l->syscall = syscall;
  l->path = path;
  return -1;
}

int step_bad_args(struct launch *l) {
  return step_fail_detail(l, "plan", NULL, "malformed arguments for step %s", op_name(l->plan.steps[l->index].op));
}

int slot_fd(struct launch *l, int64_t slot) {
  if (slot < 0 || slot >= PLAN_SLOTS || l->slots[slot] < 0) {
    step_fail_detail(l, "plan", NULL, "slot %lld holds no open file", (long long)slot);
    return -1;
  }
  return l->slots[slot];
}

static void report_failure(struct launch *l) {
  char index[16];
  snprintf(index, sizeof(index), "%u", l->index);
  const char *errname = l->err ? strerrorname_np(l->err) : "";
  const char *fields[] = {"error", index, op_name(l->plan.steps[l->index].op), l->syscall ? l->syscall : "",
                          errname ? errname : "", l->path ? l->path : "", l->detail};
  channel_send(l->chan, fields, 7);
}

static int do_mkfifo(struct launch *l, const struct plan_step *s) {
  const char *path;
  int64_t mode;
  if (step_str(s, 0, &path) || step_int(s, 1, &mode)) return step_bad_args(l);
  if (mkfifo(path, (mode_t)mode) < 0) return step_fail(l, "mkfifo", path);
  /* The mode exactly as planned, whatever the umask: a non-root init must be able to open it. */
  return chmod(path, (mode_t)mode) < 0 ? step_fail(l, "chmod", path) : 0;
}

static int do_open(struct launch *l, const struct plan_step *s) {
  const char *path;
  int64_t slot, flags;
  if (step_int(s, 0, &slot) || step_str(s, 1, &path) || step_int(s, 2, &flags)) return step_bad_args(l);
  if (slot < 0 || slot >= PLAN_SLOTS) return step_bad_args(l);
  int fd = open(path, (int)flags | O_CLOEXEC);
  if (fd < 0) return step_fail(l, "open", path);
  l->slots[slot] = fd;
  return 0;
}

static int do_connect_unix(struct launch *l, const struct plan_step *s) {
  const char *path;
  int64_t slot;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (step_int(s, 0, &slot) || step_str(s, 1, &path) || slot < 0 || slot >= PLAN_SLOTS) return step_bad_args(l);
  if (strlen(path) >= sizeof(addr.sun_path)) return errno = ENAMETOOLONG, step_fail(l, "connect", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return step_fail(l, "socket", path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    step_fail(l, "connect", path);
    close(fd);
    return -1;
  }
  l->slots[slot] = fd;
  return 0;
}

static int do_close(struct launch *l, const struct plan_step *s) {
  int64_t slot;
  if (step_int(s, 0, &slot)) return step_bad_args(l);
  int fd = slot_fd(l, slot);
  if (fd < 0) return -1;
  close(fd);
  l->slots[slot] = -1;
  return 0;
}

static int do_setns(struct launch *l, const struct plan_step *s) {
  const char *path;
  int64_t type;
  if (step_str(s, 0, &path) || step_int(s, 1, &type)) return step_bad_args(l);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return step_fail(l, "open", path);
  int rc = setns(fd, (int)type);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc < 0 ? step_fail(l, "setns", path) : 0;
}

static int do_unshare(struct launch *l, const struct plan_step *s) {
  int64_t flags;
  if (step_int(s, 0, &flags)) return step_bad_args(l);
  return unshare((int)flags) < 0 ? step_fail(l, "unshare", NULL) : 0;
}

static int do_write_child_file(struct launch *l, const struct plan_step *s) {
  const char *name, *content;
  if (step_str(s, 0, &name) || step_str(s, 1, &content)) return step_bad_args(l);
  static char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)l->child, name);
  return write_existing_file(l, path, content);
}

static int do_report_pid(struct launch *l, const struct plan_step *s) {
  (void)s;
  char pid[16];
  snprintf(pid, sizeof(pid), "%d", (int)l->child);
  const char *fields[] = {"pid", pid};
  return channel_send(l->chan, fields, 2) < 0 ? step_fail(l, "send", NULL) : 0;
}

static int do_wait_go(struct launch *l, const struct plan_step *s) {
  (void)s;
  char *msg;
  long len = channel_recv(l->chan, &msg);
  if (len < 0) return step_fail(l, "recv", NULL);
  if (len < 2 || strncmp(msg, "go", 3) != 0) return step_fail_detail(l, "recv", NULL, "expected go message");
  l->state_json = len > 3 ? msg + 3 : (char *)"";
  if (l->after_go_fd >= 0) close(l->after_go_fd);
  l->after_go_fd = -1;
  return 0;
}

static int do_report_ready(struct launch *l, const struct plan_step *s) {
  (void)s;
  const char *fields[] = {"ready"};
  return channel_send(l->chan, fields, 1) < 0 ? step_fail(l, "send", NULL) : 0;
}

/* Blocks until `start` opens the exec fifo for reading (runc's exec.fifo contract). */
static int do_wait_start(struct launch *l, const struct plan_step *s) {
  int64_t slot;
  if (step_int(s, 0, &slot)) return step_bad_args(l);
  int pathfd = slot_fd(l, slot);
  if (pathfd < 0) return -1;
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", pathfd);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return step_fail(l, "open", "exec.fifo");
  ssize_t w = write(fd, "0", 1);
  int saved = errno;
  close(fd);
  close(pathfd);
  l->slots[slot] = -1;
  errno = saved;
  return w < 0 ? step_fail(l, "write", "exec.fifo") : 0;
}

static const step_fn HANDLERS[OP_MAX] = {
    [OP_MKFIFO] = do_mkfifo,
    [OP_OPEN] = do_open,
    [OP_CONNECT_UNIX] = do_connect_unix,
    [OP_SETNS] = do_setns,
    [OP_WRITE_CHILD_FILE] = do_write_child_file,
    [OP_REPORT_PID] = do_report_pid,
    [OP_UNSHARE] = do_unshare,
    [OP_WAIT_GO] = do_wait_go,
    [OP_SETSID] = do_setsid,
    [OP_JOIN_KEYRING] = do_join_keyring,
    [OP_SETHOSTNAME] = do_sethostname,
    [OP_SETDOMAINNAME] = do_setdomainname,
    [OP_MOUNT] = do_mount,
    [OP_MKDIR] = do_mkdir,
    [OP_MKFILE] = do_mkfile,
    [OP_MKNOD] = do_mknod,
    [OP_SYMLINK] = do_symlink,
    [OP_PIVOT_ROOT] = do_pivot_root,
    [OP_MOVE_ROOT] = do_move_root,
    [OP_CHDIR] = do_chdir,
    [OP_MASK_PATH] = do_mask_path,
    [OP_READONLY_PATH] = do_readonly_path,
    [OP_WRITE_FILE] = do_write_file,
    [OP_HOOK] = do_hook,
    [OP_SETRLIMIT] = do_setrlimit,
    [OP_PERSONALITY] = do_personality,
    [OP_CAPS_DROP_BOUNDING] = do_caps_drop_bounding,
    [OP_KEEPCAPS] = do_keepcaps,
    [OP_SETGROUPS] = do_setgroups,
    [OP_SETGID] = do_setgid,
    [OP_SETUID] = do_setuid,
    [OP_CAPSET] = do_capset,
    [OP_AMBIENT_RAISE] = do_ambient_raise,
    [OP_NO_NEW_PRIVS] = do_no_new_privs,
    [OP_SECCOMP] = do_seccomp,
    [OP_UMASK] = do_umask,
    [OP_LOOKUP_EXEC] = do_lookup_exec,
    [OP_REPORT_READY] = do_report_ready,
    [OP_WAIT_START] = do_wait_start,
    [OP_CONSOLE] = do_console,
    [OP_EXEC] = do_exec,
    [OP_CLOSE] = do_close,
};

static volatile pid_t forward_to;

static void forward_signal(int sig) {
  if (forward_to > 0) kill(forward_to, sig);
}

/* Waits for the child and reports how it ended; the caller (or, with forward_signals, this
 * process) passes termination signals on to it. */
static int monitor_child(struct launch *l) {
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  struct sigaction sa = {.sa_handler = forward_signal};
  forward_to = l->child;
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
    if (l->forward_signals) sigaction(sigs[i], &sa, NULL);
    else signal(sigs[i], SIG_IGN);
  }
  int status;
  while (waitpid(l->child, &status, 0) < 0)
    if (errno != EINTR) return 1;
  char value[16];
  int signaled = WIFSIGNALED(status);
  snprintf(value, sizeof(value), "%d", signaled ? WTERMSIG(status) : WEXITSTATUS(status));
  const char *fields[] = {signaled ? "signal" : "exit", value};
  channel_send(l->chan, fields, 2);
  return 0;
}

static uint32_t split_index(const struct plan *plan, uint32_t from) {
  for (uint32_t i = from; i < plan->count; i++)
    if (plan->steps[i].op == OP_SPLIT) return i;
  return plan->count;
}

/* Forks into the namespaces in the step's flags; returns 1 in the parent, 0 in the child. */
static int do_clone(struct launch *l, const struct plan_step *s, int *monitor) {
  int64_t flags, mon;
  if (step_int(s, 0, &flags) || step_int(s, 1, &mon)) return step_bad_args(l);
  *monitor = (int)mon;
  long pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0) return step_fail(l, "clone", NULL);
  if (pid > 0 && l->after_go_fd >= 0) {
    close(l->after_go_fd);
    l->after_go_fd = -1;
  }
  l->child = (pid_t)pid;
  return pid > 0;
}

static int run_steps(struct launch *l) {
  int in_child = 0, monitor = 0;
  for (uint32_t i = 0; i < l->plan.count; i++) {
    const struct plan_step *s = &l->plan.steps[i];
    l->index = i;
    int rc;
    if (s->op == OP_CLONE) {
      rc = do_clone(l, s, &monitor);
      if (rc == 0) {
        in_child = 1;
        i = split_index(&l->plan, i);
        continue;
      }
      rc = rc < 0 ? -1 : 0;
    } else if (s->op == OP_SPLIT) {
      if (in_child) continue;
      return monitor ? monitor_child(l) : 0;
    } else {
      rc = HANDLERS[s->op] ? HANDLERS[s->op](l, s) : step_bad_args(l);
    }
    if (rc < 0) {
      report_failure(l);
      return 1;
    }
  }
  step_fail_detail(l, "plan", NULL, "plan ended without exec");
  report_failure(l);
  return 1;
}

int launch_execute(char *buf, size_t len, const struct launch_opts *o, pid_t *child) {
  struct launch l = {.chan = o->chan, .after_go_fd = o->after_go_fd, .forward_signals = o->forward_signals};
  for (int i = 0; i < PLAN_SLOTS; i++) l.slots[i] = -1;
  *child = 0;
  fcntl(o->chan, F_SETFD, FD_CLOEXEC);
  const char *why;
  int rc;
  if (plan_parse(buf, len, &l.plan, &why) < 0) {
    fprintf(stderr, "berth-native: invalid launch plan: %s\n", why);
    rc = 1;
  } else {
    rc = run_steps(&l);
  }
  if (l.after_go_fd >= 0) close(l.after_go_fd);
  for (int i = 0; i < PLAN_SLOTS; i++)
    if (l.slots[i] >= 0) close(l.slots[i]);
  *child = l.child;
  return rc;
}

int launch_main(int chan) {
  char *buf;
  long len = channel_recv(chan, &buf);
  if (len < 0) {
    fprintf(stderr, "berth-native: reading the launch plan: %s\n", strerror(errno));
    return 1;
  }
  struct launch_opts o = {.chan = chan, .after_go_fd = -1};
  pid_t child;
  return launch_execute(buf, (size_t)len, &o, &child);
}
