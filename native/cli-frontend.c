/* berth: hands the command to the resident CLI host (a Node process running the TypeScript CLI)
 * and relays what it writes, so a command does not pay Node's start-up; without a host it runs the
 * CLI itself (the slow path, what bin/berth always did). See docs/design/cli-host.md. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "channel.h"
#include "resident.h"

static const struct program cli = {
    .name = "berth",
    .what = "CLI host",
    .env_prefix = "BERTH_CLI_HOST",
    .socket_format = "/run/berth/cli-host-%08x.sock",
    .host_entry = "src/cli/host/main.ts",
    .bundle = "native/build/berth.cjs",
    .source_entry = "src/cli/run.ts",
    .slow_is_an_answer = 1,
};

/* "S,E,C": whether stdout and stderr are terminals, and the terminal's width (0: none), so the
 * host prints tables, colours and progress as it would to our terminal. */
static void describe_terminal(char *out, size_t size) {
  struct winsize ws = {0};
  int cols = ioctl(2, TIOCGWINSZ, &ws) == 0 || ioctl(1, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
  snprintf(out, size, "%d,%d,%d", isatty(1), isatty(2), cols);
}

/* Relays `out`/`err` until `exit CODE`. The command may have had effects, so a host that goes
 * away now is reported, never retried through the slow path. */
static int relay(const struct resident *r, int fd) {
  for (;;) {
    char *msg;
    long len = channel_recv(fd, &msg);
    if (len < 0) {
      fprintf(stderr,
              "berth: the CLI host went away in the middle of this call\n"
              "hint: run the command again; see %s.log\n",
              r->socket);
      return 1;
    }
    int code;
    enum resident_frame kind = resident_output(msg, len, &code);
    free(msg);
    if (kind == RESIDENT_EXIT) return code;
  }
}

int main(int argc, char **argv) {
  (void)argc;
  char terminal[48];
  describe_terminal(terminal, sizeof(terminal));
  const char *extra[] = {terminal};
  struct resident r = {0};
  int fd = resident_open(&r, &cli, argv + 1, extra, 1);
  return fd < 0 ? 1 : relay(&r, fd);
}
