/* Parses the launch plan's binary format (plan.h); validates lengths, never trusts them. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

static int take_u32(const char **p, const char *end, uint32_t *out) {
  if (end - *p < 4) return -1;
  memcpy(out, *p, 4);
  *p += 4;
  return 0;
}

static int take_u16(const char **p, const char *end, uint16_t *out) {
  if (end - *p < 2) return -1;
  memcpy(out, *p, 2);
  *p += 2;
  return 0;
}

static int parse_step(const char **p, const char *end, struct plan_step *s) {
  if (take_u16(p, end, &s->op) < 0 || take_u16(p, end, &s->argc) < 0) return -1;
  if (s->op == 0 || s->op >= OP_MAX) return -1;
  s->args = calloc(s->argc ? s->argc : 1, sizeof(*s->args));
  if (!s->args) return -1;
  for (uint16_t i = 0; i < s->argc; i++) {
    if (take_u32(p, end, &s->args[i].len) < 0) return -1;
    if ((size_t)(end - *p) < s->args[i].len) return -1;
    s->args[i].data = *p;
    *p += s->args[i].len;
  }
  return 0;
}

int plan_parse(const char *buf, size_t len, struct plan *out, const char **why) {
  const char *p = buf, *end = buf + len;
  uint32_t version;
  if (len < 12 || memcmp(p, PLAN_MAGIC, 4) != 0) return *why = "bad magic", -1;
  p += 4;
  if (take_u32(&p, end, &version) < 0 || version != PLAN_VERSION) return *why = "unsupported version", -1;
  if (take_u32(&p, end, &out->count) < 0 || out->count > 100000) return *why = "bad step count", -1;
  out->steps = calloc(out->count ? out->count : 1, sizeof(*out->steps));
  if (!out->steps) return *why = "out of memory", -1;
  for (uint32_t i = 0; i < out->count; i++)
    if (parse_step(&p, end, &out->steps[i]) < 0) return *why = "truncated or invalid step", -1;
  if (p != end) return *why = "trailing bytes", -1;
  return 0;
}

int step_str(const struct plan_step *s, int i, const char **out) {
  if (i >= s->argc) return -1;
  const struct plan_arg *a = &s->args[i];
  if (a->len == 0 || a->data[a->len - 1] != '\0') return -1;
  *out = a->data;
  return 0;
}

int step_int(const struct plan_step *s, int i, int64_t *out) {
  if (i >= s->argc || s->args[i].len != 8) return -1;
  memcpy(out, s->args[i].data, 8);
  return 0;
}

int step_list(const struct plan_step *s, int i, char ***out, size_t *count) {
  if (i >= s->argc) return -1;
  const struct plan_arg *a = &s->args[i];
  if (a->len > 0 && a->data[a->len - 1] != '\0') return -1;
  size_t n = 0;
  for (uint32_t k = 0; k < a->len; k++) n += a->data[k] == '\0';
  char **list = calloc(n + 1, sizeof(char *));
  if (!list) return -1;
  const char *q = a->data;
  for (size_t k = 0; k < n; k++) {
    list[k] = (char *)q;
    q += strlen(q) + 1;
  }
  *out = list;
  if (count) *count = n;
  return 0;
}

static const char *const OP_NAMES[OP_MAX] = {
    [OP_MKFIFO] = "mkfifo",
    [OP_OPEN] = "open",
    [OP_CONNECT_UNIX] = "connect",
    [OP_SETNS] = "setns",
    [OP_CLONE] = "clone",
    [OP_WRITE_CHILD_FILE] = "write-child-file",
    [OP_REPORT_PID] = "report-pid",
    [OP_SPLIT] = "split",
    [OP_UNSHARE] = "unshare",
    [OP_WAIT_GO] = "wait-go",
    [OP_SETSID] = "setsid",
    [OP_JOIN_KEYRING] = "join-keyring",
    [OP_SETHOSTNAME] = "sethostname",
    [OP_SETDOMAINNAME] = "setdomainname",
    [OP_MOUNT] = "mount",
    [OP_MKDIR] = "mkdir",
    [OP_MKFILE] = "mkfile",
    [OP_MKNOD] = "mknod",
    [OP_SYMLINK] = "symlink",
    [OP_PIVOT_ROOT] = "pivot-root",
    [OP_MOVE_ROOT] = "move-root",
    [OP_CHDIR] = "chdir",
    [OP_MASK_PATH] = "mask-path",
    [OP_READONLY_PATH] = "readonly-path",
    [OP_WRITE_FILE] = "write-file",
    [OP_HOOK] = "hook",
    [OP_SETRLIMIT] = "setrlimit",
    [OP_PERSONALITY] = "personality",
    [OP_CAPS_DROP_BOUNDING] = "caps-drop-bounding",
    [OP_KEEPCAPS] = "keepcaps",
    [OP_SETGROUPS] = "setgroups",
    [OP_SETGID] = "setgid",
    [OP_SETUID] = "setuid",
    [OP_CAPSET] = "capset",
    [OP_AMBIENT_RAISE] = "ambient-raise",
    [OP_NO_NEW_PRIVS] = "no-new-privs",
    [OP_SECCOMP] = "seccomp",
    [OP_UMASK] = "umask",
    [OP_LOOKUP_EXEC] = "lookup-exec",
    [OP_REPORT_READY] = "report-ready",
    [OP_WAIT_START] = "wait-start",
    [OP_CONSOLE] = "console",
    [OP_EXEC] = "exec",
    [OP_CLOSE] = "close",
};

const char *op_name(uint16_t op) {
  return op < OP_MAX && OP_NAMES[op] ? OP_NAMES[op] : "unknown";
}
