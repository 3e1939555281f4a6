/* berth-runtime's front-end: a small binary that hands the call to the resident planner (a Node
 * process running the TypeScript verbs) and executes the launch plan it answers with, in its own
 * process. Without a planner it runs the TypeScript CLI itself (the slow path). */
#ifndef BERTH_FRONTEND_H
#define BERTH_FRONTEND_H

#include <sys/types.h>

#define PLANNER_PROTOCOL "1"
/* One planner per installation: the socket name carries a hash of the installation's path, so two
 * checkouts (or an old and a new install side by side) never run each other's code. */
#define PLANNER_SOCKET_FORMAT "/run/berth/runtime-planner-%08x.sock"

struct frontend {
  char root[4096];   /* the checkout: <root>/native/build/berth-runtime is this binary */
  char socket[108];  /* the planner's unix socket */
  int require;       /* BERTH_RUNTIME_PLANNER=require: fail instead of taking the slow path */
};

/* frontend-planner.c */
/* Connects to the planner after checking the socket's owner and mode and the peer's uid;
 * returns the fd, or -1 (errno says why: ENOENT/ECONNREFUSED = no planner). */
int planner_connect(const struct frontend *f);
/* Starts a planner in the background unless one is running or starting (its lock is held). */
void planner_spawn(const struct frontend *f);
/* Replaces this process with the TypeScript CLI running `argv` (today's behaviour). */
__attribute__((noreturn)) void slow_path(const struct frontend *f, char **argv);
/* Runs the TypeScript CLI with `argv` in a child and waits for it; returns its exit status. */
int run_slow(const struct frontend *f, char **argv);

#endif
