/* Runs an OCI hook inside the container's namespaces (createContainer, startContainer): the
 * state JSON on stdin, a timeout, and the hook's output in the failure report. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

struct hook {
  const char *kind, *path;
  char **argv, **envp;
  int64_t timeout;
};

static void write_state(int fd, const char *json) {
  /* A hook that exits without reading stdin must not kill us with SIGPIPE. */
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_set, &old);
  size_t len = strlen(json), off = 0;
  while (off < len) {
    ssize_t w = write(fd, json + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  struct timespec zero = {0, 0};
  sigtimedwait(&pipe_set, NULL, &zero);
  sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Waits up to the hook's timeout; returns the wait status, or -1 when it timed out. */
static int wait_hook(pid_t pid, int64_t timeout) {
  int status;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0 && timeout > 0) {
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int rc;
    while ((rc = poll(&p, 1, (int)(timeout * 1000))) < 0 && errno == EINTR) {
    }
    if (rc == 0) kill(pid, SIGKILL);
    close(pidfd);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return rc == 0 ? -1 : status;
  }
  if (pidfd >= 0) close(pidfd);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

static int run_hook(struct launch *l, const struct hook *h) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) return step_fail(l, "pipe", h->path);
  pid_t pid = fork();
  if (pid < 0) return step_fail(l, "fork", h->path);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    execve(h->path, h->argv[0] ? h->argv : (char *[]){(char *)h->path, NULL}, h->envp);
    dprintf(2, "exec %s: %s", h->path, strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  write_state(in[1], l->state_json ? l->state_json : "");
  close(in[1]);
  int status = wait_hook(pid, h->timeout);
  char output[300] = "";
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  ssize_t r = read(out[0], output, sizeof(output) - 1);
  output[r > 0 ? r : 0] = '\0';
  close(out[0]);
  if (status == -1)
    return step_fail_detail(l, "hook", h->path, "%s hook %s timed out after %llds", h->kind, h->path, (long long)h->timeout);
  if (WIFSIGNALED(status))
    return step_fail_detail(l, "hook", h->path, "%s hook %s killed by signal %d: %s", h->kind, h->path, WTERMSIG(status), output);
  if (WEXITSTATUS(status) != 0)
    return step_fail_detail(l, "hook", h->path, "%s hook %s exited with status %d: %s", h->kind, h->path, WEXITSTATUS(status),
                            output);
  return 0;
}

int do_hook(struct launch *l, const struct plan_step *s) {
  struct hook h;
  if (step_str(s, 0, &h.kind) || step_str(s, 1, &h.path) || step_list(s, 2, &h.argv, NULL) ||
      step_list(s, 3, &h.envp, NULL) || step_int(s, 4, &h.timeout))
    return step_bad_args(l);
  int rc = run_hook(l, &h);
  free(h.argv);
  free(h.envp);
  return rc;
}
