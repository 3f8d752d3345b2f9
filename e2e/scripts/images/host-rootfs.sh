#!/usr/bin/env bash
# A minimal base rootfs made from this host, standing in for a public base image when nothing
# may be pulled. Usage: host-rootfs.sh DIR node|python
#   node:   the host's node + npm/npx (stands in for node:20-bookworm and node:20-bookworm-slim)
#   python: the host's python3 with its standard library and pip (stands in for python:3.*)
# Both get the shared libraries `ldd` lists, the CA bundle, passwd/group with root and 65532,
# and busybox-static for the shell tools a Dockerfile RUN uses (sh, tar, cp, mkdir, test …).
set -euo pipefail
dir=${1:?usage: host-rootfs.sh DIR node|python}
recipe=${2:-node}
rm -rf "$dir" && mkdir -p "$dir"/{bin,usr/bin,usr/local/bin,usr/lib,lib,lib64,etc,tmp,root,var/tmp}
chmod 1777 "$dir/tmp" "$dir/var/tmp"
copy() { # a path with its parent directories, symlinks followed
  mkdir -p "$dir$(dirname "$1")"
  cp -aL "$1" "$dir$1"
}
libs_of() { # the shared libraries of the given ELF files, each once
  ldd "$@" 2>/dev/null | awk '/=> \//{print $3} /^\t\//{print $1}' | sort -u
}
case "$recipe" in
  node)
    node=$(command -v node)
    copy "$node"
    [ "$node" = /usr/bin/node ] || ln -sf "$node" "$dir/usr/bin/node"
    for lib in $(libs_of "$node"); do copy "$lib"; done
    npm_root=$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")
    mkdir -p "$dir/usr/lib/node_modules"
    cp -a "$npm_root" "$dir/usr/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/bin/npx"
    ;;
  python)
    py=$(readlink -f /usr/bin/python3)
    ver=$(basename "$py") # python3.11
    copy "$py"
    mkdir -p "$dir/usr/lib/$ver"
    # The standard library, without tests and without Debian's EXTERNALLY-MANAGED marker: in an
    # image, pip installs into the system interpreter as the official python images allow.
    tar -C "/usr/lib/$ver" --exclude=test --exclude=__pycache__ --exclude=EXTERNALLY-MANAGED -cf - . |
      tar -C "$dir/usr/lib/$ver" -xf -
    for lib in $(libs_of "$py" /usr/lib/"$ver"/lib-dynload/*.so); do copy "$lib"; done
    # The libraries manylinux wheels (numpy …) may link against, beyond what python itself uses.
    for lib in libgcc_s.so.1 libstdc++.so.6 libz.so.1 libexpat.so.1 libpthread.so.0 libdl.so.2 librt.so.1 libm.so.6 libutil.so.1 libcrypt.so.1; do
      f=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|x86_64|64bit/ && !n++ {print $NF}')
      [ -n "$f" ] && copy "$f"
    done
    site="$dir/usr/local/lib/$ver/dist-packages"
    mkdir -p "$site"
    cp -a /usr/lib/python3/dist-packages/pip "$site/"
    ln -sf "../../bin/$ver" "$dir/usr/local/bin/python"
    ln -sf "../../bin/$ver" "$dir/usr/local/bin/python3"
    ln -sf "$ver" "$dir/usr/bin/python3"
    printf '#!/bin/sh\nexec python3 -m pip "$@"\n' >"$dir/usr/local/bin/pip"
    chmod 755 "$dir/usr/local/bin/pip"
    ;;
  *) echo "unknown recipe $recipe" >&2; exit 2 ;;
esac
cp /bin/busybox "$dir/bin/busybox"
for t in $("$dir/bin/busybox" --list); do
  [ -e "$dir/bin/$t" ] || [ -e "$dir/usr/bin/$t" ] || ln -s busybox "$dir/bin/$t"
done
ln -sf ../../bin/busybox "$dir/usr/bin/env"
mkdir -p "$dir/etc/ssl/certs"
cp -L /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532::/home/nonroot:/bin/sh\n' >"$dir/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$dir/etc/group"
printf 'hosts: files dns\n' >"$dir/etc/nsswitch.conf"
