#include "channel.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int channel_send(int fd, const char *const *fields, size_t n) {
  size_t len = 0;
  for (size_t i = 0; i < n; i++) len += strlen(fields[i]) + (i + 1 < n);
  char *buf = malloc(4 + len);
  if (!buf) return -1;
  uint32_t len32 = (uint32_t)len;
  memcpy(buf, &len32, 4);
  char *p = buf + 4;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(fields[i]);
    memcpy(p, fields[i], l);
    p += l;
    if (i + 1 < n) *p++ = '\0';
  }
  size_t off = 0, total = 4 + len;
  while (off < total) {
    ssize_t w = send(fd, buf + off, total - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      free(buf);
      return -1;
    }
    off += (size_t)w;
  }
  free(buf);
  return 0;
}

static int read_full(int fd, char *buf, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t r = read(fd, buf + off, len - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = EPIPE;
      return -1;
    }
    off += (size_t)r;
  }
  return 0;
}

long channel_recv(int fd, char **out) {
  uint32_t len;
  if (read_full(fd, (char *)&len, 4) < 0) return -1;
  if (len > (64u << 20)) return errno = EMSGSIZE, -1;
  char *buf = malloc(len + 1);
  if (!buf) return -1;
  if (read_full(fd, buf, len) < 0) {
    free(buf);
    return -1;
  }
  buf[len] = '\0';
  *out = buf;
  return (long)len;
}
