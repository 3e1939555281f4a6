/* The launch plan: a flat list of steps computed by TypeScript (src/runtime/plan/encode.ts).
 * Wire format (little-endian), documented in docs/design/runtime.md:
 *   plan  := "BPLN" u32:version u32:count step*
 *   step  := u16:op u16:argc arg*
 *   arg   := u32:len byte[len]      strings carry their NUL; integers are 8-byte i64;
 *                                   lists are NUL-separated strings in one arg. */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_MAGIC "BPLN"
#define PLAN_VERSION 1
#define PLAN_SLOTS 16

enum plan_op {
  OP_MKFIFO = 1,
  OP_OPEN = 2,
  OP_CONNECT_UNIX = 3,
  OP_SETNS = 4,
  OP_CLONE = 5,
  OP_WRITE_CHILD_FILE = 6,
  OP_REPORT_PID = 7,
  OP_SPLIT = 8,
  OP_UNSHARE = 9,
  OP_WAIT_GO = 10,
  OP_SETSID = 11,
  OP_JOIN_KEYRING = 12,
  OP_SETHOSTNAME = 13,
  OP_SETDOMAINNAME = 14,
  OP_MOUNT = 15,
  OP_MKDIR = 16,
  OP_MKFILE = 17,
  OP_MKNOD = 18,
  OP_SYMLINK = 19,
  OP_PIVOT_ROOT = 20,
  OP_MOVE_ROOT = 21,
  OP_CHDIR = 22,
  OP_MASK_PATH = 23,
  OP_READONLY_PATH = 24,
  OP_WRITE_FILE = 25,
  OP_HOOK = 26,
  OP_SETRLIMIT = 27,
  OP_PERSONALITY = 28,
  OP_CAPS_DROP_BOUNDING = 29,
  OP_KEEPCAPS = 30,
  OP_SETGROUPS = 31,
  OP_SETGID = 32,
  OP_SETUID = 33,
  OP_CAPSET = 34,
  OP_AMBIENT_RAISE = 35,
  OP_NO_NEW_PRIVS = 36,
  OP_SECCOMP = 37,
  OP_UMASK = 38,
  OP_LOOKUP_EXEC = 39,
  OP_REPORT_READY = 40,
  OP_WAIT_START = 41,
  OP_CONSOLE = 42,
  OP_EXEC = 43,
  OP_CLOSE = 44,
  OP_MAX = 45
};

struct plan_arg {
  uint32_t len;
  const char *data;
};

struct plan_step {
  uint16_t op;
  uint16_t argc;
  struct plan_arg *args;
};

struct plan {
  uint32_t count;
  struct plan_step *steps;
};

/* Parses `buf` (kept alive by the caller); returns 0, or -1 with a message in `why`. */
int plan_parse(const char *buf, size_t len, struct plan *out, const char **why);

/* Argument accessors; they validate shape and return 0 or -1. */
int step_str(const struct plan_step *s, int i, const char **out);
int step_int(const struct plan_step *s, int i, int64_t *out);
/* Splits a NUL-separated list into a NULL-terminated, malloc'd array (entries point into the plan). */
int step_list(const struct plan_step *s, int i, char ***out, size_t *count);
const char *op_name(uint16_t op);

#endif
