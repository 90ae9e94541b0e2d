#!/bin/sh
# Installs what the project needs on a fresh Debian/Ubuntu machine: etcd 3.4, the systemd tools, iproute2, gcc and
# qemu-user from the distribution (as root), etcd 3.5.16 for the local model's 26.04 machines (scripts/archive.sh),
# the development packages and the charm's pinned Node runtimes (amd64, arm64) from npm.
# Idempotent and quick when nothing changed.
set -eu
cd "$(dirname "$0")/.."

missing=""
command -v etcd >/dev/null 2>&1 || missing="$missing etcd-server"
command -v etcdctl >/dev/null 2>&1 || missing="$missing etcd-client"
command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
command -v unzip >/dev/null 2>&1 || missing="$missing unzip"
# The local model's hook-tool client is C (local-model/jujuc.c), compiled by its controller with cc.
{ command -v cc >/dev/null 2>&1 && [ -e /usr/include/stdio.h ]; } || missing="$missing gcc libc6-dev"
# The shell test charms (test/charms/) read and write relation JSON with jq.
command -v jq >/dev/null 2>&1 || missing="$missing jq"
# The local model puts each machine in its own network namespace: ip (iproute2); nsenter is util-linux's (Essential).
{ command -v ip || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; } >/dev/null 2>&1 || missing="$missing iproute2"
# The arm64 charm's dispatch is run under qemu-aarch64 (user-mode emulation) in its test, with Debian's arm64
# C and C++ runtimes (the -cross packages, in /usr/aarch64-linux-gnu) as the emulated machine's libraries.
command -v qemu-aarch64 >/dev/null 2>&1 || missing="$missing qemu-user"
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || missing="$missing libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross"
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages:$missing (run as root or install them)" >&2
    exit 1
  fi
  echo "setup: apt-get install$missing" >&2
  apt-get update -qq
  # policy-rc.d-less containers would start the packaged etcd; the charm stops and masks it anyway.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The local model's package archive: etcd 3.4 for ubuntu@24.04 machines, 3.5.16 for ubuntu@26.04 ones.
if [ "$(id -u)" -eq 0 ]; then sh scripts/archive.sh; else echo "setup: not root: the local model's archive is left as it is" >&2; fi

# npm ci only when the lock file changed since the last install (a stamp records its hash).
install_if_stale() {
  dir=$1
  shift
  stamp="$dir/node_modules/.setup-stamp"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error "$@")
    echo "$want" > "$stamp"
  fi
}
install_if_stale .
# --force: the arm64 runtime's package declares cpu arm64, which npm refuses to install on another CPU without
# it; the integrity hashes of the lock file are still checked.
install_if_stale runtime --force
