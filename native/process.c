/* Process steps: session, keyring, names, files under /proc, rlimits, personality, umask, exec. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

int do_setsid(struct launch *l, const struct plan_step *s) {
  (void)s;
  return setsid() < 0 ? step_fail(l, "setsid", NULL) : 0;
}

int do_join_keyring(struct launch *l, const struct plan_step *s) {
  const char *name;
  if (step_str(s, 0, &name)) return step_bad_args(l);
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, *name ? name : NULL) >= 0) return 0;
  /* Kernels without keyrings, or where they are blocked, run containers anyway (as runc does). */
  return errno == ENOSYS || errno == EACCES ? 0 : step_fail(l, "keyctl", name);
}

int do_sethostname(struct launch *l, const struct plan_step *s) {
  const char *name;
  if (step_str(s, 0, &name)) return step_bad_args(l);
  return sethostname(name, strlen(name)) < 0 ? step_fail(l, "sethostname", name) : 0;
}

int do_setdomainname(struct launch *l, const struct plan_step *s) {
  const char *name;
  if (step_str(s, 0, &name)) return step_bad_args(l);
  return setdomainname(name, strlen(name)) < 0 ? step_fail(l, "setdomainname", name) : 0;
}

int do_write_file(struct launch *l, const struct plan_step *s) {
  const char *path, *content;
  if (step_str(s, 0, &path) || step_str(s, 1, &content)) return step_bad_args(l);
  return write_existing_file(l, path, content);
}

int write_existing_file(struct launch *l, const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return step_fail(l, "open", path);
  ssize_t w = write(fd, content, strlen(content));
  int saved = errno;
  close(fd);
  errno = saved;
  return w < 0 ? step_fail(l, "write", path) : 0;
}

int do_setrlimit(struct launch *l, const struct plan_step *s) {
  int64_t resource, soft, hard;
  if (step_int(s, 0, &resource) || step_int(s, 1, &soft) || step_int(s, 2, &hard)) return step_bad_args(l);
  struct rlimit rl = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
  if (setrlimit((int)resource, &rl) == 0) return 0;
  char what[32];
  snprintf(what, sizeof(what), "resource %lld", (long long)resource);
  return step_fail_detail(l, "setrlimit", NULL, "%s soft %llu hard %llu: %s", what, (unsigned long long)rl.rlim_cur,
                          (unsigned long long)rl.rlim_max, strerrorname_np(errno));
}

int do_personality(struct launch *l, const struct plan_step *s) {
  int64_t persona;
  if (step_int(s, 0, &persona)) return step_bad_args(l);
  return personality((unsigned long)persona) < 0 ? step_fail(l, "personality", NULL) : 0;
}

int do_umask(struct launch *l, const struct plan_step *s) {
  int64_t mask;
  if (step_int(s, 0, &mask)) return step_bad_args(l);
  umask((mode_t)mask);
  return 0;
}

static int is_executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* Resolves argv[0] against PATH inside the container before `create` returns, so a missing
 * binary fails `create` rather than the already-started container. */
int do_lookup_exec(struct launch *l, const struct plan_step *s) {
  const char *name, *path;
  if (step_str(s, 0, &name) || step_str(s, 1, &path)) return step_bad_args(l);
  if (strchr(name, '/')) {
    struct stat st;
    if (stat(name, &st) < 0) return step_fail(l, "exec", name);
    l->exec_path = (char *)name;
    return 0;
  }
  char candidate[4096];
  for (const char *dir = path;; dir = strchr(dir, ':') + 1) {
    size_t len = strchrnul(dir, ':') - dir;
    snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)(len ? len : 1), len ? dir : ".", name);
    if (is_executable_file(candidate)) {
      l->exec_path = strdup(candidate);
      return 0;
    }
    if (!strchr(dir, ':')) break;
  }
  errno = ENOENT;
  step_fail_detail(l, "exec", name, "executable file not found in $PATH");
  l->err = ENOENT;
  return -1;
}

int do_exec(struct launch *l, const struct plan_step *s) {
  char **argv, **envp;
  if (step_list(s, 0, &argv, NULL) || step_list(s, 1, &envp, NULL) || !argv[0]) return step_bad_args(l);
  const char *path = l->exec_path ? l->exec_path : argv[0];
  execve(path, argv, envp);
  return step_fail(l, "exec", path);
}
