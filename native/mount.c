/* Filesystem steps: mounts, directories, device nodes, symlinks, pivot_root, masked and
 * read-only paths. Paths under the container's root are resolved with openat2(RESOLVE_IN_ROOT)
 * so a symlink in an image cannot point a mount at the host. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "launch.h"

static int open_in_root(int rootfd, const char *path, int flags) {
  while (*path == '/') path++;
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  return (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
}

/* Root fd of `slot`, or AT_FDCWD for a negative slot (plain paths). */
static int root_of(struct launch *l, int64_t slot) {
  return slot < 0 ? AT_FDCWD : slot_fd(l, slot);
}

static int open_at(int rootfd, const char *path, int flags) {
  return rootfd == AT_FDCWD ? open(path, flags | O_CLOEXEC) : open_in_root(rootfd, path, flags);
}

/* mkdir -p inside the root. */
static int mkdir_all(int rootfd, const char *path, mode_t mode) {
  char buf[4096];
  if (strlen(path) >= sizeof(buf)) return errno = ENAMETOOLONG, -1;
  strcpy(buf, path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char saved = *p;
    *p = '\0';
    int fd = open_at(rootfd, buf, O_PATH | O_DIRECTORY);
    if (fd >= 0) {
      close(fd);
    } else if (errno == ENOENT) {
      char *slash = strrchr(buf, '/');
      *slash = '\0';
      int parent = open_at(rootfd, slash == buf ? "/" : buf, O_PATH | O_DIRECTORY);
      *slash = '/';
      if (parent < 0) return -1;
      int rc = mkdirat(parent, slash + 1, mode);
      close(parent);
      if (rc < 0 && errno != EEXIST) return -1;
    } else {
      return -1;
    }
    *p = saved;
    if (saved == '\0') return 0;
  }
}

/* Opens the parent directory of `path` inside the root and returns it; `*base` is the last name. */
static int open_parent(int rootfd, const char *path, char *buf, size_t size, const char **base) {
  if (strlen(path) >= size) return errno = ENAMETOOLONG, -1;
  strcpy(buf, path);
  char *slash = strrchr(buf, '/');
  if (!slash) return errno = EINVAL, -1;
  *slash = '\0';
  *base = slash + 1;
  if (mkdir_all(rootfd, *buf ? buf : "/", 0755) < 0) return -1;
  return open_at(rootfd, *buf ? buf : "/", O_PATH | O_DIRECTORY);
}

int do_mount(struct launch *l, const struct plan_step *s) {
  const char *src, *dst, *type, *data;
  int64_t flags, slot;
  if (step_str(s, 0, &src) || step_str(s, 1, &dst) || step_str(s, 2, &type) || step_int(s, 3, &flags) ||
      step_str(s, 4, &data) || step_int(s, 5, &slot))
    return step_bad_args(l);
  int rootfd = root_of(l, slot);
  if (rootfd == -1) return -1;
  char target[64];
  int fd = -1;
  if (rootfd != AT_FDCWD) {
    fd = open_in_root(rootfd, dst, O_PATH);
    if (fd < 0) return step_fail(l, "open", dst);
    snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
  }
  int rc = mount(*src ? src : NULL, fd >= 0 ? target : dst, *type ? type : NULL, (unsigned long)flags,
                 *data ? data : NULL);
  int saved = errno;
  if (fd >= 0) close(fd);
  errno = saved;
  return rc < 0 ? step_fail(l, "mount", dst) : 0;
}

int do_mkdir(struct launch *l, const struct plan_step *s) {
  const char *path;
  int64_t slot, mode;
  if (step_int(s, 0, &slot) || step_str(s, 1, &path) || step_int(s, 2, &mode)) return step_bad_args(l);
  int rootfd = root_of(l, slot);
  if (rootfd == -1) return -1;
  return mkdir_all(rootfd, path, (mode_t)mode) < 0 ? step_fail(l, "mkdir", path) : 0;
}

int do_mkfile(struct launch *l, const struct plan_step *s) {
  const char *path, *base;
  int64_t slot;
  char buf[4096];
  if (step_int(s, 0, &slot) || step_str(s, 1, &path)) return step_bad_args(l);
  int rootfd = root_of(l, slot);
  if (rootfd == -1) return -1;
  int parent = open_parent(rootfd, path, buf, sizeof(buf), &base);
  if (parent < 0) return step_fail(l, "mkdir", path);
  int fd = openat(parent, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  int saved = errno;
  close(parent);
  if (fd >= 0) return close(fd), 0;
  errno = saved;
  return errno == EISDIR ? 0 : step_fail(l, "open", path);
}

int do_mknod(struct launch *l, const struct plan_step *s) {
  const char *path, *base;
  int64_t slot, mode, major, minor, uid, gid;
  char buf[4096];
  if (step_int(s, 0, &slot) || step_str(s, 1, &path) || step_int(s, 2, &mode) || step_int(s, 3, &major) ||
      step_int(s, 4, &minor) || step_int(s, 5, &uid) || step_int(s, 6, &gid))
    return step_bad_args(l);
  int rootfd = root_of(l, slot);
  if (rootfd == -1) return -1;
  int parent = open_parent(rootfd, path, buf, sizeof(buf), &base);
  if (parent < 0) return step_fail(l, "mkdir", path);
  unlinkat(parent, base, 0);
  int rc = mknodat(parent, base, (mode_t)mode, makedev((unsigned)major, (unsigned)minor));
  if (rc == 0) rc = fchmodat(parent, base, (mode_t)mode & 07777, 0);
  if (rc == 0) rc = fchownat(parent, base, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
  int saved = errno;
  close(parent);
  errno = saved;
  return rc < 0 ? step_fail(l, "mknod", path) : 0;
}

int do_symlink(struct launch *l, const struct plan_step *s) {
  const char *target, *path, *base;
  int64_t slot;
  char buf[4096];
  if (step_int(s, 0, &slot) || step_str(s, 1, &target) || step_str(s, 2, &path)) return step_bad_args(l);
  int rootfd = root_of(l, slot);
  if (rootfd == -1) return -1;
  int parent = open_parent(rootfd, path, buf, sizeof(buf), &base);
  if (parent < 0) return step_fail(l, "mkdir", path);
  int rc = symlinkat(target, parent, base);
  int saved = errno;
  close(parent);
  errno = saved;
  return rc < 0 && errno != EEXIST ? step_fail(l, "symlink", path) : 0;
}

/* pivot_root(".", ".") then detach the old root stacked underneath (as runc does). */
int do_pivot_root(struct launch *l, const struct plan_step *s) {
  int64_t slot;
  if (step_int(s, 0, &slot)) return step_bad_args(l);
  int rootfd = slot_fd(l, slot);
  if (rootfd < 0) return -1;
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0) return step_fail(l, "open", "/");
  int rc = -1;
  const char *what = "fchdir";
  if (fchdir(rootfd) == 0 && (what = "pivot_root", syscall(SYS_pivot_root, ".", ".") == 0) &&
      (what = "fchdir", fchdir(oldroot) == 0) &&
      (what = "mount", mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) == 0) &&
      (what = "umount2", umount2(".", MNT_DETACH) == 0) && (what = "chdir", chdir("/") == 0))
    rc = 0;
  int saved = errno;
  close(oldroot);
  errno = saved;
  return rc < 0 ? step_fail(l, what, "/") : 0;
}

/* --no-pivot: move the root mount over / and chroot into it. */
int do_move_root(struct launch *l, const struct plan_step *s) {
  int64_t slot;
  if (step_int(s, 0, &slot)) return step_bad_args(l);
  int rootfd = slot_fd(l, slot);
  if (rootfd < 0) return -1;
  if (fchdir(rootfd) < 0) return step_fail(l, "fchdir", "/");
  if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) return step_fail(l, "mount", "/");
  if (chroot(".") < 0) return step_fail(l, "chroot", "/");
  return chdir("/") < 0 ? step_fail(l, "chdir", "/") : 0;
}

int do_chdir(struct launch *l, const struct plan_step *s) {
  const char *path;
  if (step_str(s, 0, &path)) return step_bad_args(l);
  return chdir(path) < 0 ? step_fail(l, "chdir", path) : 0;
}

int do_mask_path(struct launch *l, const struct plan_step *s) {
  const char *path;
  if (step_str(s, 0, &path)) return step_bad_args(l);
  if (mount("/dev/null", path, NULL, MS_BIND, NULL) == 0 || errno == ENOENT) return 0;
  if (errno != ENOTDIR) return step_fail(l, "mount", path);
  if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0) return step_fail(l, "mount", path);
  return 0;
}

/* Flags a read-only remount must keep, or the kernel refuses it where they are locked. */
static unsigned long locked_flags(const char *path) {
  struct statvfs st;
  if (statvfs(path, &st) < 0) return 0;
  return st.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
}

int do_readonly_path(struct launch *l, const struct plan_step *s) {
  const char *path;
  if (step_str(s, 0, &path)) return step_bad_args(l);
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) return errno == ENOENT ? 0 : step_fail(l, "mount", path);
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked_flags(path);
  return mount(path, path, NULL, flags, NULL) < 0 ? step_fail(l, "mount", path) : 0;
}
