#!/usr/bin/env bash
# Unpacks Debian's cloud kernel (vmlinuz + modules) into DIR without installing it on the host.
# Idempotent: does nothing when DIR/vmlinuz is already there.
set -euo pipefail
dir=${1:?usage: fetch-guest-kernel.sh DIR}
[ -s "$dir/vmlinuz" ] && exit 0
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
if [ -z "$pkg" ]; then
  apt-get update -qq
  pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
fi
work=$(mktemp -d)
chmod 755 "$work" # apt-get download drops privileges to _apt
trap 'rm -rf "$work"' EXIT
echo "setup: unpacking guest kernel $pkg into $dir" >&2
(cd "$work" && apt-get download -qq "$pkg" >/dev/null)
dpkg-deb -x "$work"/*.deb "$work/root"
mkdir -p "$dir"
version=${pkg#linux-image-}
rm -rf "$dir/modules.new"
mv "$work/root/lib/modules/$version" "$dir/modules.new"
rm -rf "$dir/modules" && mv "$dir/modules.new" "$dir/modules"
cp "$work/root/boot/vmlinuz-$version" "$dir/vmlinuz.new"
echo "$version" >"$dir/version"
mv "$dir/vmlinuz.new" "$dir/vmlinuz"
