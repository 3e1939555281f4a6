/* Reaching the resident process: the installation, the mode, a trusted connection, and the
 * request/ack/proceed handshake that makes falling back to the slow path safe. */
#include "resident.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"

extern char **environ;

const char *resident_getenv(const struct resident *r, const char *suffix) {
  char name[128];
  snprintf(name, sizeof(name), "%s%s", r->program->env_prefix, suffix);
  return getenv(name);
}

void write_fully(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    buf += w;
    len -= (size_t)w;
  }
}

enum resident_frame resident_output(const char *msg, long len, int *code) {
  if (strncmp(msg, "exit", 5) == 0) {
    *code = len > 5 ? atoi(msg + 5) : 1;
    return RESIDENT_EXIT;
  }
  int fd = strncmp(msg, "out", 4) == 0 ? 1 : strncmp(msg, "err", 4) == 0 ? 2 : -1;
  if (fd < 0) return RESIDENT_OTHER;
  write_fully(fd, msg + 4, (size_t)(len > 4 ? len - 4 : 0));
  return RESIDENT_OUTPUT;
}

/* This binary is <root>/native/build/<name>. */
static int find_root(struct resident *r) {
  ssize_t n = readlink("/proc/self/exe", r->root, sizeof(r->root) - 1);
  if (n < 0) return -1;
  r->root[n] = '\0';
  for (int up = 0; up < 3; up++) {
    char *slash = strrchr(r->root, '/');
    if (!slash) return -1;
    *slash = '\0';
  }
  return 0;
}

/* FNV-1a: a short, stable name for an installation path. One resident process per installation, so
 * two checkouts (or an old and a new install side by side) never run each other's code. */
static unsigned path_hash(const char *path) {
  unsigned h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) h = (h ^ *p) * 16777619u;
  return h;
}

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

/* Returns the fd, or -1 (errno says why: ENOENT/ECONNREFUSED = nothing running). */
static int resident_connect(const struct resident *r) {
  if (socket_trusted(r->socket) < 0) return -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, r->socket);
  /* Non-blocking: a process whose backlog is full counts as absent rather than making us wait. */
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

static int connect_or_start(const struct resident *r) {
  int fd = resident_connect(r);
  if (fd >= 0) return fd;
  resident_spawn(r);
  if (!r->require) return -1;
  for (int i = 0; i < 200 && fd < 0; i++) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    fd = resident_connect(r);
  }
  if (fd < 0)
    fprintf(stderr, "%s: the %s at %s did not start (see %s.log)\n", r->program->name, r->program->what, r->socket,
            r->socket);
  return fd;
}

/* "request 1 CWD EXTRA… N ENV×N ARGV…": the call, with the whole environment. */
static int send_request(int fd, char **argv, const char *const *extra, size_t nextra) {
  char cwd[PATH_MAX], nenv[24];
  if (!getcwd(cwd, sizeof(cwd))) return -1;
  size_t envc = 0, argc = 0;
  while (environ[envc]) envc++;
  while (argv[argc]) argc++;
  const char **fields = calloc(4 + nextra + envc + argc, sizeof(char *));
  if (!fields) return -1;
  snprintf(nenv, sizeof(nenv), "%zu", envc);
  size_t n = 0;
  fields[n++] = "request";
  fields[n++] = RESIDENT_PROTOCOL;
  fields[n++] = cwd;
  for (size_t i = 0; i < nextra; i++) fields[n++] = extra[i];
  fields[n++] = nenv;
  for (size_t i = 0; i < envc; i++) fields[n++] = environ[i];
  for (size_t i = 0; i < argc; i++) fields[n++] = argv[i];
  int rc = channel_send(fd, fields, n);
  free(fields);
  return rc;
}

/* handshake(): the resident process answered `slow`. */
#define SLOW (-2)

static long wait_frame(int fd, char **msg, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
  if (r <= 0) return errno = r == 0 ? ETIMEDOUT : errno, -1;
  return channel_recv(fd, msg);
}

/* The resident process answers "ack" before it does anything; only then may it act for us
 * ("proceed"), so a call that times out here and takes the slow path can never run twice. */
static int handshake(const struct resident *r, int fd, char **argv, const char *const *extra, size_t nextra) {
  const char *t = resident_getenv(r, "_TIMEOUT");
  int timeout_ms = t && *t ? atoi(t) : 5000;
  char *msg;
  if (send_request(fd, argv, extra, nextra) < 0 || wait_frame(fd, &msg, timeout_ms) < 0) return -1;
  if (strcmp(msg, "slow") == 0) {
    /* A stale process (its sources changed) retires: start its replacement for later calls. */
    free(msg);
    resident_spawn(r);
    return SLOW;
  }
  int ok = strcmp(msg, "ack") == 0;
  free(msg);
  const char *proceed[] = {"proceed"};
  return ok && channel_send(fd, proceed, 1) == 0 ? 0 : -1;
}

int resident_open(struct resident *r, const struct program *p, char **argv, const char *const *extra,
                  size_t nextra) {
  r->program = p;
  if (find_root(r) < 0) {
    fprintf(stderr, "%s: cannot find the installation from /proc/self/exe\n", p->name);
    return -1;
  }
  const char *mode = resident_getenv(r, "");
  const char *sock = resident_getenv(r, "_SOCKET");
  /* Non-root callers share no socket under /run/berth: they name one or take the slow path. */
  if ((mode && strcmp(mode, "off") == 0) || (!(sock && *sock) && getuid() != 0)) resident_slow_path(r, argv);
  r->require = mode && strcmp(mode, "require") == 0;
  if (sock && *sock)
    snprintf(r->socket, sizeof(r->socket), "%s", sock);
  else
    snprintf(r->socket, sizeof(r->socket), p->socket_format, path_hash(r->root));
  int fd = connect_or_start(r);
  if (fd < 0) {
    if (r->require) return -1;
    resident_slow_path(r, argv);
  }
  int answer = handshake(r, fd, argv, extra, nextra);
  if (answer == 0) return fd;
  close(fd);
  if (!r->require || (answer == SLOW && p->slow_is_an_answer)) resident_slow_path(r, argv);
  fprintf(stderr, "%s: the %s at %s did not answer\n", p->name, p->what, r->socket);
  return -1;
}
