#!/usr/bin/env bash
# Makes examples/busybox/rootfs.tar from Debian's busybox-static: /bin/busybox, a symlink per
# applet, and the few files a base image needs (/etc/passwd, /etc/group, /tmp).
set -euo pipefail
out=${1:-"$(dirname "$0")/../examples/busybox/rootfs.tar"}
[ -x /bin/busybox ] || { echo "make-busybox-rootfs: /bin/busybox missing: apt-get install busybox-static" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,var,proc,sys,dev}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
  [ "$applet" = bin/busybox ] || [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
# A fixed mtime keeps the archive (and so the image digest) the same on every machine.
tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
