/* The executor's state and the step handlers each concern file provides. */
#ifndef BERTH_LAUNCH_H
#define BERTH_LAUNCH_H

#include <sys/types.h>

#include "plan.h"

struct launch {
  int chan;                /* socket to TypeScript */
  struct plan plan;
  int slots[PLAN_SLOTS];   /* fds opened by steps, addressed by slot number */
  pid_t child;             /* the cloned process, in the parent */
  char *state_json;        /* the container state, received with "go", for hooks */
  char *exec_path;         /* resolved by lookup-exec */
  uint32_t index;          /* step being executed */
  const char *syscall;     /* failure details, set by step_fail */
  const char *path;
  char detail[512];
  int err;
  int after_go_fd;         /* closed in the child once "go" arrived and in the parent after clone */
  int forward_signals;     /* the monitor passes termination signals on to the child */
};

/* How an embedding front-end runs a plan (native/frontend.c); berth-native uses the defaults. */
struct launch_opts {
  int chan;
  /* Write end of a pipe whose EOF tells the front-end init no longer reads the channel; or -1. */
  int after_go_fd;
  int forward_signals;
};

typedef int (*step_fn)(struct launch *l, const struct plan_step *s);

/* Records a failure of `syscall` on `path` with the current errno; returns -1. */
int step_fail(struct launch *l, const char *syscall, const char *path);
/* Records a failure that has no errno, with a formatted detail; returns -1. */
int step_fail_detail(struct launch *l, const char *syscall, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Records a malformed step (TypeScript sent the wrong arguments); returns -1. */
int step_bad_args(struct launch *l);
/* The fd in `slot`, or -1 with a recorded failure. */
int slot_fd(struct launch *l, int64_t slot);

int launch_main(int chan);
/* Runs the plan in `buf` in this process; returns the exit code a launcher would exit with and
 * stores the cloned child's pid (0 if none) in `child`. */
int launch_execute(char *buf, size_t len, const struct launch_opts *o, pid_t *child);

/* mount.c */
int do_mount(struct launch *l, const struct plan_step *s);
int do_mkdir(struct launch *l, const struct plan_step *s);
int do_mkfile(struct launch *l, const struct plan_step *s);
int do_mknod(struct launch *l, const struct plan_step *s);
int do_symlink(struct launch *l, const struct plan_step *s);
int do_pivot_root(struct launch *l, const struct plan_step *s);
int do_move_root(struct launch *l, const struct plan_step *s);
int do_chdir(struct launch *l, const struct plan_step *s);
int do_mask_path(struct launch *l, const struct plan_step *s);
int do_readonly_path(struct launch *l, const struct plan_step *s);

/* process.c */
int do_setsid(struct launch *l, const struct plan_step *s);
int do_join_keyring(struct launch *l, const struct plan_step *s);
int do_sethostname(struct launch *l, const struct plan_step *s);
int do_setdomainname(struct launch *l, const struct plan_step *s);
int do_write_file(struct launch *l, const struct plan_step *s);
/* Writes `content` to a file that must exist (procfs, cgroupfs); failures name the path. */
int write_existing_file(struct launch *l, const char *path, const char *content);
int do_setrlimit(struct launch *l, const struct plan_step *s);
int do_personality(struct launch *l, const struct plan_step *s);
int do_umask(struct launch *l, const struct plan_step *s);
int do_lookup_exec(struct launch *l, const struct plan_step *s);
int do_exec(struct launch *l, const struct plan_step *s);

/* identity.c: users, groups, capabilities, no_new_privs, seccomp */
int do_caps_drop_bounding(struct launch *l, const struct plan_step *s);
int do_keepcaps(struct launch *l, const struct plan_step *s);
int do_setgroups(struct launch *l, const struct plan_step *s);
int do_setgid(struct launch *l, const struct plan_step *s);
int do_setuid(struct launch *l, const struct plan_step *s);
int do_capset(struct launch *l, const struct plan_step *s);
int do_ambient_raise(struct launch *l, const struct plan_step *s);
int do_no_new_privs(struct launch *l, const struct plan_step *s);
int do_seccomp(struct launch *l, const struct plan_step *s);

/* hook.c */
int do_hook(struct launch *l, const struct plan_step *s);

/* console.c */
int do_console(struct launch *l, const struct plan_step *s);

#endif
