/* berth-native: executes launch plans computed by Berth's TypeScript; holds no policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"

#define BERTH_NATIVE_VERSION "0.2.0"

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("%s\n", BERTH_NATIVE_VERSION);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "launch") == 0) {
    char *end;
    long fd = strtol(argv[2], &end, 10);
    if (*end == '\0' && fd >= 0) return launch_main((int)fd);
  }
  fprintf(stderr, "berth-native: usage: berth-native --version | launch <channel-fd>\n");
  return 2;
}
