/* berth-runtime: hands the call to the resident planner and executes the launch plan it answers
 * with in this process, so the container's init stays a descendant of whoever ran us (containerd's
 * shim is a subreaper) and inherits our stdio and fds. See docs/design/runtime-planner.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "launch.h"
#include "resident.h"

/* What the front-end must undo if the planner goes away in the middle of a call. */
struct call {
  pid_t child;  /* the process our plan cloned, still our child until we exit */
  char **undo;  /* arguments of the CLI call that deletes the container, from the plan frame */
};

/* "plan\0PASS_FDS\0UNDO_COUNT\0undo args…\0<plan bytes>": the fields, then the plan at `*raw`. */
static int parse_plan_frame(char *msg, long len, int *pass_fds, struct call *c, char **raw) {
  char *p = msg + 5, *end = msg + len;
  if (p >= end) return -1;
  *pass_fds = atoi(p);
  p += strlen(p) + 1;
  if (p >= end) return -1;
  int undo = atoi(p);
  p += strlen(p) + 1;
  c->undo = calloc((size_t)undo + 1, sizeof(char *));
  for (int i = 0; i < undo && c->undo; i++) {
    if (p >= end) return -1;
    c->undo[i] = p;
    p += strlen(p) + 1;
  }
  *raw = p;
  return p <= end && c->undo ? 0 : -1;
}

/* Runs the plan as `berth-native launch` would, then waits until init no longer reads the
 * channel (it shares our socket) before this process reads from it again. */
static int execute_plan(int fd, char *msg, long len, struct call *c) {
  int pass_fds, after_go[2];
  char *raw;
  if (parse_plan_frame(msg, len, &pass_fds, c, &raw) < 0) {
    fprintf(stderr, "berth-runtime: malformed plan from the runtime planner\n");
    return -1;
  }
  /* Only stdio and the fds the caller passes on reach the container, as with the slow path. */
  close_range(3 + (unsigned)pass_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  if (pipe2(after_go, O_CLOEXEC) < 0) return -1;
  struct launch_opts o = {.chan = fd, .after_go_fd = after_go[1], .forward_signals = 1};
  pid_t self = getpid();
  int rc = launch_execute(raw, (size_t)(msg + len - raw), &o, &c->child);
  if (getpid() != self) _exit(rc);  /* init whose step failed: it has reported the error */
  char byte;
  while (read(after_go[0], &byte, 1) < 0 && errno == EINTR) {}
  close(after_go[0]);
  return 0;
}

static int planner_lost(const struct resident *r, struct call *c) {
  int status;
  if (c->child > 0 && waitpid(c->child, &status, WNOHANG) == 0) {
    kill(c->child, SIGKILL);
    waitpid(c->child, &status, 0);
  }
  int undone = c->undo && c->undo[0] && resident_run_slow(r, c->undo) == 0;
  fprintf(stderr,
          "berth-runtime: the runtime planner went away in the middle of this call%s\n"
          "hint: run the command again; see %s.log\n",
          c->undo && c->undo[0] ? (undone ? "; the container was deleted" : "; deleting the container failed")
                                : "",
          r->socket);
  return 1;
}

static int call_planner(const struct resident *r, int fd) {
  struct call c = {0};
  for (;;) {
    char *msg;
    long len = channel_recv(fd, &msg);
    if (len < 0) return planner_lost(r, &c);
    int code;
    enum resident_frame kind = resident_output(msg, len, &code);
    if (kind == RESIDENT_EXIT) return code;
    if (kind == RESIDENT_OTHER && strncmp(msg, "plan", 5) == 0) {
      if (execute_plan(fd, msg, len, &c) < 0) return planner_lost(r, &c);
      continue; /* the plan's strings stay in use for the undo */
    }
    free(msg);
  }
}

static const struct program runtime = {
    .name = "berth-runtime",
    .what = "runtime planner",
    .env_prefix = "BERTH_RUNTIME_PLANNER",
    .socket_format = "/run/berth/runtime-planner-%08x.sock",
    .host_entry = "src/runtime/planner/main.ts",
    .bundle = "native/build/berth-runtime.cjs",
    .source_entry = "src/runtime/cli/run.ts",
};

int main(int argc, char **argv) {
  (void)argc;
  struct resident r = {0};
  int fd = resident_open(&r, &runtime, argv + 1, NULL, 0);
  return fd < 0 ? 1 : call_planner(&r, fd);
}
