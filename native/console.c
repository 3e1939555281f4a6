/* process.terminal: a pty created inside the container; its master goes to the caller's
 * --console-socket over SCM_RIGHTS (runc's contract, which containerd and Docker rely on). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "launch.h"

static int send_fd(int sock, int fd, const char *name) {
  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof(control));
  struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int become_tty(int slave) {
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) return -1;
  if (slave > 2) close(slave);
  return ioctl(0, TIOCSCTTY, 0);
}

/* runc binds the pty slave on /dev/console, so programs that open the console reach the terminal. */
static int mount_console(struct launch *l, const char *slave_path, const char *target) {
  int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0 && errno != EEXIST) return step_fail(l, "open", target);
  if (fd >= 0) close(fd);
  return mount(slave_path, target, NULL, MS_BIND, NULL) < 0 ? step_fail(l, "mount", target) : 0;
}

int do_console(struct launch *l, const struct plan_step *s) {
  int64_t slot, rows, cols;
  const char *console_path = "";
  if (step_int(s, 0, &slot) || step_int(s, 1, &rows) || step_int(s, 2, &cols)) return step_bad_args(l);
  if (s->argc > 3 && step_str(s, 3, &console_path)) return step_bad_args(l);
  int sock = slot_fd(l, slot);
  if (sock < 0) return -1;
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return step_fail(l, "open", "/dev/ptmx");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) return step_fail(l, "ioctl(TIOCSPTLCK)", "/dev/ptmx");
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) return step_fail(l, "ioctl(TIOCGPTPEER)", "/dev/ptmx");
  unsigned int n = 0;
  char name[32] = "/dev/pts/?";
  if (ioctl(master, TIOCGPTN, &n) == 0) snprintf(name, sizeof(name), "/dev/pts/%u", n);
  if (rows > 0 && cols > 0) {
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    if (ioctl(master, TIOCSWINSZ, &ws) < 0) return step_fail(l, "ioctl(TIOCSWINSZ)", name);
  }
  if (console_path[0] != '\0' && mount_console(l, name, console_path) < 0) return -1;
  if (send_fd(sock, master, name) < 0) return step_fail(l, "sendmsg", "console socket");
  close(master);
  close(sock);
  l->slots[slot] = -1;
  return become_tty(slave) < 0 ? step_fail(l, "ioctl(TIOCSCTTY)", name) : 0;
}
