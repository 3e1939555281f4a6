/* berth-native: executes launch plans computed by Berth's TypeScript; holds no policy. */
#include <stdio.h>
#include <string.h>

#define BERTH_NATIVE_VERSION "0.1.0"

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("%s\n", BERTH_NATIVE_VERSION);
    return 0;
  }
  fprintf(stderr, "berth-native: usage: berth-native --version\n");
  return 2;
}
