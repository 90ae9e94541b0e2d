#!/bin/sh
# Installs what the project needs on a fresh Debian/Ubuntu machine: etcd 3.4, the systemd tools and iproute2
# from the distribution (as root), the development packages and the charm's pinned Node runtime from npm.
# Idempotent and quick when nothing changed.
set -eu
cd "$(dirname "$0")/.."

missing=""
command -v etcd >/dev/null 2>&1 || missing="$missing etcd-server"
command -v etcdctl >/dev/null 2>&1 || missing="$missing etcd-client"
command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
command -v unzip >/dev/null 2>&1 || missing="$missing unzip"
# The shell test charms (test/charms/) read and write relation JSON with jq.
command -v jq >/dev/null 2>&1 || missing="$missing jq"
# The local model puts each machine in its own network namespace: ip (iproute2); nsenter is util-linux's (Essential).
{ command -v ip || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; } >/dev/null 2>&1 || missing="$missing iproute2"
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

# npm ci only when the lock file changed since the last install (a stamp records its hash).
install_if_stale() {
  dir=$1
  stamp="$dir/node_modules/.setup-stamp"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
}
install_if_stale .
install_if_stale runtime
