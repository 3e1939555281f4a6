/* berth-runtime: hands the call to the resident planner and executes the launch plan it answers
 * with in this process, so the container's init stays a descendant of whoever ran us (containerd's
 * shim is a subreaper) and inherits our stdio and fds. See docs/design/runtime-planner.md. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "frontend.h"
#include "launch.h"

extern char **environ;

#define FALLBACK (-2)

/* What the front-end must undo if the planner goes away in the middle of a call. */
struct call {
  pid_t child;  /* the process our plan cloned, still our child until we exit */
  char **undo;  /* arguments of the CLI call that deletes the container, from the plan frame */
};

static int find_root(struct frontend *f) {
  ssize_t n = readlink("/proc/self/exe", f->root, sizeof(f->root) - 1);
  if (n < 0) return -1;
  f->root[n] = '\0';
  for (int up = 0; up < 3; up++) {
    char *slash = strrchr(f->root, '/');
    if (!slash) return -1;
    *slash = '\0';
  }
  return 0;
}

static int send_request(int fd, char **argv) {
  char cwd[PATH_MAX], nenv[24];
  if (!getcwd(cwd, sizeof(cwd))) return -1;
  size_t envc = 0, argc = 0;
  while (environ[envc]) envc++;
  while (argv[argc]) argc++;
  const char **fields = calloc(4 + envc + argc, sizeof(char *));
  if (!fields) return -1;
  snprintf(nenv, sizeof(nenv), "%zu", envc);
  size_t n = 0;
  fields[n++] = "request";
  fields[n++] = PLANNER_PROTOCOL;
  fields[n++] = cwd;
  fields[n++] = nenv;
  for (size_t i = 0; i < envc; i++) fields[n++] = environ[i];
  for (size_t i = 0; i < argc; i++) fields[n++] = argv[i];
  int rc = channel_send(fd, fields, n);
  free(fields);
  return rc;
}

static long wait_frame(int fd, char **msg, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
  if (r <= 0) return errno = r == 0 ? ETIMEDOUT : errno, -1;
  return channel_recv(fd, msg);
}

/* The planner answers "ack" before it does anything; only then may it act for us ("proceed"), so
 * a call that times out here and takes the slow path can never run twice. */
static int handshake(const struct frontend *f, int fd, char **argv) {
  const char *t = getenv("BERTH_RUNTIME_PLANNER_TIMEOUT");
  int timeout_ms = t && *t ? atoi(t) : 5000;
  char *msg;
  if (send_request(fd, argv) < 0 || wait_frame(fd, &msg, timeout_ms) < 0) return FALLBACK;
  if (strcmp(msg, "slow") == 0) {
    /* A stale planner (its sources changed) retires: start its replacement for later calls. */
    free(msg);
    planner_spawn(f);
    return FALLBACK;
  }
  int ok = strcmp(msg, "ack") == 0;
  free(msg);
  const char *proceed[] = {"proceed"};
  return ok && channel_send(fd, proceed, 1) == 0 ? 0 : FALLBACK;
}

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    buf += w;
    len -= (size_t)w;
  }
}

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

static int planner_lost(const struct frontend *f, struct call *c) {
  int status;
  if (c->child > 0 && waitpid(c->child, &status, WNOHANG) == 0) {
    kill(c->child, SIGKILL);
    waitpid(c->child, &status, 0);
  }
  int undone = c->undo && c->undo[0] && run_slow(f, c->undo) == 0;
  fprintf(stderr,
          "berth-runtime: the runtime planner went away in the middle of this call%s\n"
          "hint: run the command again; see %s.log\n",
          c->undo && c->undo[0] ? (undone ? "; the container was deleted" : "; deleting the container failed")
                                : "",
          f->socket);
  return 1;
}

static int call_planner(const struct frontend *f, int fd, char **argv) {
  if (handshake(f, fd, argv) < 0) return FALLBACK;
  struct call c = {0};
  for (;;) {
    char *msg;
    long len = channel_recv(fd, &msg);
    if (len < 0) return planner_lost(f, &c);
    if (strncmp(msg, "out", 4) == 0) write_all(1, msg + 4, (size_t)(len > 4 ? len - 4 : 0));
    else if (strncmp(msg, "err", 4) == 0) write_all(2, msg + 4, (size_t)(len > 4 ? len - 4 : 0));
    else if (strncmp(msg, "exit", 5) == 0) return atoi(msg + 5);
    else if (strncmp(msg, "plan", 5) == 0) {
      if (execute_plan(fd, msg, len, &c) < 0) return planner_lost(f, &c);
      continue; /* the plan's strings stay in use for the undo */
    }
    free(msg);
  }
}

static int connect_or_start(struct frontend *f) {
  int fd = planner_connect(f);
  if (fd >= 0) return fd;
  planner_spawn(f);
  if (!f->require) return -1;
  for (int i = 0; i < 200 && fd < 0; i++) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    fd = planner_connect(f);
  }
  if (fd < 0) fprintf(stderr, "berth-runtime: the runtime planner at %s did not start (see %s.log)\n", f->socket, f->socket);
  return fd;
}

/* FNV-1a: a short, stable name for an installation path. */
static unsigned path_hash(const char *path) {
  unsigned h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) h = (h ^ *p) * 16777619u;
  return h;
}

int main(int argc, char **argv) {
  (void)argc;
  struct frontend f = {0};
  if (find_root(&f) < 0) {
    fprintf(stderr, "berth-runtime: cannot find the installation from /proc/self/exe\n");
    return 1;
  }
  const char *mode = getenv("BERTH_RUNTIME_PLANNER");
  const char *sock = getenv("BERTH_RUNTIME_PLANNER_SOCKET");
  if ((mode && strcmp(mode, "off") == 0) || (!(sock && *sock) && getuid() != 0)) slow_path(&f, argv + 1);
  f.require = mode && strcmp(mode, "require") == 0;
  if (sock && *sock)
    snprintf(f.socket, sizeof(f.socket), "%s", sock);
  else
    snprintf(f.socket, sizeof(f.socket), PLANNER_SOCKET_FORMAT, path_hash(f.root));
  int fd = connect_or_start(&f);
  if (fd < 0) {
    if (f.require) return 1;
    slow_path(&f, argv + 1);
  }
  int rc = call_planner(&f, fd, argv + 1);
  if (rc == FALLBACK) {
    if (f.require) {
      fprintf(stderr, "berth-runtime: the runtime planner at %s did not answer\n", f.socket);
      return 1;
    }
    close(fd);
    slow_path(&f, argv + 1);
  }
  return rc;
}
