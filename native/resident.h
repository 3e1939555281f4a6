/* The C side of a resident Node process: a small front-end binary hands each call to a long-lived
 * Node process of the same installation over a unix socket, and runs the TypeScript CLI itself
 * (the slow path) when none answers. Shared by berth-runtime (the runtime planner) and berth (the
 * CLI host). See docs/design/runtime-planner.md and docs/design/cli-host.md. */
#ifndef BERTH_RESIDENT_H
#define BERTH_RESIDENT_H

#include <stddef.h>
#include <sys/types.h>

#define RESIDENT_PROTOCOL "1"

/* One program with a resident process; every path is relative to the installation's root. */
struct program {
  const char *name;          /* "berth-runtime": this binary's name, the prefix of its messages */
  const char *what;          /* "runtime planner": the resident process, as messages name it */
  const char *env_prefix;    /* "BERTH_RUNTIME_PLANNER": the mode; _SOCKET, _TIMEOUT, … */
  const char *socket_format; /* "/run/berth/runtime-planner-%08x.sock", given a hash of the root */
  const char *host_entry;    /* "src/runtime/planner/main.ts": the resident process */
  const char *bundle;        /* "native/build/berth-runtime.cjs": the slow path */
  const char *source_entry;  /* "src/runtime/cli/run.ts": the slow path without a bundle */
  int slow_is_an_answer;     /* 1: it answers `slow` for calls it does not serve (berth's commands that
                                are not hosted), so even <PREFIX>=require takes the slow path then */
};

struct resident {
  const struct program *program;
  char root[4096];  /* the installation: <root>/native/build/<name> is this binary */
  char socket[108]; /* the resident process's unix socket */
  int require;      /* <PREFIX>=require: fail instead of taking the slow path */
};

/* Finds the installation, reads <PREFIX> and <PREFIX>_SOCKET, and returns a connection on which
 * the resident process acked `request 1 CWD EXTRA… N ENV×N ARGV…` and was told to proceed.
 * Otherwise it replaces this process with the slow path, or (require) prints why and returns -1. */
int resident_open(struct resident *r, const struct program *p, char **argv, const char *const *extra,
                  size_t nextra);
/* getenv("<PREFIX><suffix>"), e.g. suffix "_SOCKET". */
const char *resident_getenv(const struct resident *r, const char *suffix);
/* Starts the resident process in the background unless one is running or starting (its lock is held). */
void resident_spawn(const struct resident *r);
/* Replaces this process with the TypeScript CLI running `argv`. */
__attribute__((noreturn)) void resident_slow_path(const struct resident *r, char **argv);
/* Runs the TypeScript CLI with `argv` in a child, stdout to /dev/null; returns its exit status. */
int resident_run_slow(const struct resident *r, char **argv);
/* What resident_output() did with a frame. */
enum resident_frame { RESIDENT_OTHER, RESIDENT_OUTPUT, RESIDENT_EXIT };
/* Handles the frames every call ends with: `out BYTES` (to fd 1), `err BYTES` (to fd 2), and
 * `exit CODE` (stored in *code). Any other frame is left to the caller. */
enum resident_frame resident_output(const char *msg, long len, int *code);
/* Writes all of `buf` to `fd`, retrying on EINTR; gives up quietly on any other error. */
void write_fully(int fd, const char *buf, size_t len);

#endif
