/* Identity steps: groups and ids, capability sets, no_new_privs and the seccomp filter. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch.h"

int do_caps_drop_bounding(struct launch *l, const struct plan_step *s) {
  int64_t mask;
  if (step_int(s, 0, &mask)) return step_bad_args(l);
  for (int cap = 0; cap < 64; cap++) {
    if (!((uint64_t)mask & (1ULL << cap))) continue;
    /* EINVAL: the kernel does not know this capability, so it cannot be held either. */
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return step_fail(l, "prctl", NULL);
  }
  return 0;
}

int do_keepcaps(struct launch *l, const struct plan_step *s) {
  int64_t on;
  if (step_int(s, 0, &on)) return step_bad_args(l);
  return prctl(PR_SET_KEEPCAPS, on ? 1 : 0, 0, 0, 0) < 0 ? step_fail(l, "prctl", NULL) : 0;
}

int do_setgroups(struct launch *l, const struct plan_step *s) {
  char **list;
  size_t n;
  if (step_list(s, 0, &list, &n)) return step_bad_args(l);
  gid_t *gids = calloc(n ? n : 1, sizeof(gid_t));
  if (!gids) return step_fail(l, "calloc", NULL);
  for (size_t i = 0; i < n; i++) gids[i] = (gid_t)strtoul(list[i], NULL, 10);
  int rc = setgroups(n, gids);
  free(gids);
  free(list);
  return rc < 0 ? step_fail(l, "setgroups", NULL) : 0;
}

int do_setgid(struct launch *l, const struct plan_step *s) {
  int64_t gid;
  if (step_int(s, 0, &gid)) return step_bad_args(l);
  return setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0 ? step_fail(l, "setresgid", NULL) : 0;
}

int do_setuid(struct launch *l, const struct plan_step *s) {
  int64_t uid;
  if (step_int(s, 0, &uid)) return step_bad_args(l);
  return setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0 ? step_fail(l, "setresuid", NULL) : 0;
}

int do_capset(struct launch *l, const struct plan_step *s) {
  int64_t eff, perm, inh;
  if (step_int(s, 0, &eff) || step_int(s, 1, &perm) || step_int(s, 2, &inh)) return step_bad_args(l);
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)((uint64_t)eff >> (32 * i));
    data[i].permitted = (uint32_t)((uint64_t)perm >> (32 * i));
    data[i].inheritable = (uint32_t)((uint64_t)inh >> (32 * i));
  }
  return syscall(SYS_capset, &header, data) < 0 ? step_fail(l, "capset", NULL) : 0;
}

int do_ambient_raise(struct launch *l, const struct plan_step *s) {
  int64_t mask;
  if (step_int(s, 0, &mask)) return step_bad_args(l);
  for (int cap = 0; cap < 64; cap++) {
    if (!((uint64_t)mask & (1ULL << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return step_fail(l, "prctl", NULL);
  }
  return 0;
}

int do_no_new_privs(struct launch *l, const struct plan_step *s) {
  (void)s;
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? step_fail(l, "prctl", NULL) : 0;
}

int do_seccomp(struct launch *l, const struct plan_step *s) {
  int64_t flags;
  if (step_int(s, 0, &flags) || s->argc < 2 || s->args[1].len % sizeof(struct sock_filter) != 0)
    return step_bad_args(l);
  struct sock_fprog prog = {.len = (unsigned short)(s->args[1].len / sizeof(struct sock_filter)),
                            .filter = (struct sock_filter *)s->args[1].data};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)flags, &prog) == 0) return 0;
  if (errno == ENOSYS && flags == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0) return 0;
  return step_fail(l, "seccomp", NULL);
}
