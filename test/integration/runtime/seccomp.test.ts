// Loads compiled filters into the real kernel with a tiny C loader built at test time, and
// checks what processes under them can and cannot do.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileSeccomp, defaultSeccompProfile } from '../../../src/runtime/seccomp/index.ts';
import type { Seccomp } from '../../../src/runtime/spec/index.ts';

const LOADER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* usage: loader FILTER FLAGS PROGRAM [ARGS...] */
int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: loader filter flags program...\n"); return 125; }
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) { perror("open filter"); return 125; }
  struct sock_filter *insns = malloc(st.st_size);
  if (!insns || read(fd, insns, st.st_size) != st.st_size) { perror("read filter"); return 125; }
  struct sock_fprog prog = { .len = (unsigned short)(st.st_size / 8), .filter = insns };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("no_new_privs"); return 125; }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, strtoul(argv[2], 0, 0), &prog) < 0) {
    fprintf(stderr, "seccomp: %s\n", strerror(errno));
    return 126;
  }
  execvp(argv[3], argv + 3);
  fprintf(stderr, "exec %s: %s\n", argv[3], strerror(errno));
  return 127;
}
`;

const GETPID_C = String.raw`
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) { printf("pid %ld\n", syscall(SYS_getpid)); return 0; }
`;

const BUSYBOX = '/usr/bin/busybox';
let dir = '';
let loader = '';
let getpid = '';
let filterCount = 0;

function build(name: string, source: string): string {
  const src = join(dir, `${name}.c`);
  const out = join(dir, name);
  writeFileSync(src, source);
  const cc = spawnSync('cc', ['-O2', '-Wall', '-Werror', '-o', out, src], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `cc ${name}: ${cc.stderr}`);
  return out;
}

/** Runs argv under the compiled `profile` and returns what happened. */
function runUnder(profile: Seccomp, argv: string[]) {
  const program = compileSeccomp(profile);
  const file = join(dir, `filter-${filterCount++}.bpf`);
  writeFileSync(file, program.filter);
  return spawnSync(loader, [file, String(program.flags), ...argv], { encoding: 'utf8' });
}

describe('seccomp filters in the real kernel', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-'));
    loader = build('loader', LOADER_C);
    getpid = build('getpid', GETPID_C);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('errnoRet makes mkdir fail with EACCES', () => {
    const target = join(dir, 'denied');
    const r = runUnder(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
      },
      [BUSYBOX, 'mkdir', target],
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /Permission denied/);
  });

  test('SCMP_ACT_KILL_PROCESS kills with SIGSYS', () => {
    const allowed = runUnder({ defaultAction: 'SCMP_ACT_ALLOW' }, [getpid]);
    assert.equal(allowed.status, 0, allowed.stderr);
    assert.match(allowed.stdout, /^pid \d+/);
    const r = runUnder(
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_KILL_PROCESS' }] },
      [getpid],
    );
    assert.equal(r.signal, 'SIGSYS');
    assert.equal(r.stdout, '');
  });

  test('argument rules: openat with O_CREAT refused, plain reads allowed', () => {
    const O_CREAT = 0o100;
    const profile: Seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {
          names: ['openat', 'open'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 30, // EROFS
          args: [{ index: 2, value: O_CREAT, valueTwo: O_CREAT, op: 'SCMP_CMP_MASKED_EQ' }],
        },
      ],
    };
    const reads = runUnder(profile, [BUSYBOX, 'cat', '/proc/self/comm']);
    assert.equal(reads.status, 0, reads.stderr);
    const file = join(dir, 'created');
    const creates = runUnder(profile, [BUSYBOX, 'sh', '-c', `echo x > ${file}`]);
    assert.notEqual(creates.status, 0);
    assert.match(creates.stderr, /Read-only file system/);
  });

  test('flags reach the kernel', () => {
    const r = runUnder(
      { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_TSYNC'] },
      [BUSYBOX, 'true'],
    );
    assert.equal(r.status, 0, r.stderr);
  });

  describe('the default profile', () => {
    test('the kernel accepts the program and ordinary commands run', () => {
      const r = runUnder(defaultSeccompProfile(), [
        BUSYBOX,
        'sh',
        '-c',
        `echo hello; ls / >/dev/null; mkdir ${join(dir, 'made')} && rmdir ${join(dir, 'made')}; ` +
          'cat /proc/self/status | grep -c Seccomp; (sleep 0; echo child) & wait',
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'hello\n2\nchild\n');
    });

    test('the filter is really installed (Seccomp: 2)', () => {
      const r = runUnder(defaultSeccompProfile(), [BUSYBOX, 'grep', '^Seccomp:', '/proc/self/status']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Seccomp:\s+2$/m);
    });

    test('denies unshare -U and mount, which work without it', { skip: process.getuid?.() !== 0 }, () => {
      const mountpoint = join(dir, 'mnt');
      mkdirSync(mountpoint, { recursive: true });
      const control = spawnSync(BUSYBOX, ['unshare', '-U', 'true'], { encoding: 'utf8' });
      assert.equal(control.status, 0, `control: ${control.stderr}`);
      const unshare = runUnder(defaultSeccompProfile(), [BUSYBOX, 'unshare', '-U', 'true']);
      assert.notEqual(unshare.status, 0);
      assert.match(unshare.stderr, /Operation not permitted/);
      const mount = runUnder(defaultSeccompProfile(), [BUSYBOX, 'mount', '-t', 'tmpfs', 'none', mountpoint]);
      assert.notEqual(mount.status, 0);
      assert.match(mount.stderr, /operation not permitted|permission denied/i);
      const mounted = spawnSync('mountpoint', ['-q', mountpoint]);
      assert.notEqual(mounted.status, 0, 'tmpfs must not be mounted');
    });
  });
});
