#!/bin/sh
# Fills the local model's package archive: the .deb files a simulated machine's `apt-get install` takes, one
# directory per base, as each Ubuntu release's archive would give them (interfaces §8.2):
#   ubuntu@24.04  etcd-server, etcd-client 3.4 (Debian 12's 3.4.23 stands in for noble's 3.4.30)
#   ubuntu@26.04  etcd-server, etcd-client 3.5.16 (Debian 13 "trixie" builds the same upstream version as resolute)
# The trixie packages come through an apt configuration of their own (sources, lists and cache under the archive),
# so the system's apt sources and its etcd 3.4 stay as they are (etcd-on-this-machine.md, "etcd 3.5").
# Idempotent: a base that already holds its packages is left alone. Needs root (writes under /var/cache).
set -eu
archive=${LOCAL_MODEL_ARCHIVE:-/var/cache/local-model/archive}

has_debs() { ls "$1"/etcd-server_*.deb "$1"/etcd-client_*.deb >/dev/null 2>&1; }

noble="$archive/ubuntu@24.04"
if ! has_debs "$noble"; then
  echo "setup: archive $noble: etcd-server, etcd-client from this machine's apt sources" >&2
  mkdir -p "$noble.tmp"
  (cd "$noble.tmp" && { apt-get download -qq etcd-server etcd-client 2>/dev/null || { apt-get update -qq && apt-get download -qq etcd-server etcd-client; }; })
  rm -rf "$noble" && mv "$noble.tmp" "$noble"
fi

resolute="$archive/ubuntu@26.04"
if ! has_debs "$resolute"; then
  echo "setup: archive $resolute: etcd-server, etcd-client 3.5.16 from Debian trixie" >&2
  apt_dir="$archive/.apt-trixie"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$resolute.tmp"
  cat >"$apt_dir/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
EOF
  set -- -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null" \
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Architecture=amd64" \
    -o "Debug::NoLocking=true" -o "APT::Sandbox::User=root"
  apt-get "$@" update -qq
  # Pinned: the version Ubuntu 26.04 ships; a newer trixie point release would be refused here, not used.
  (cd "$resolute.tmp" && apt-get "$@" download -qq etcd-server=3.5.16-4 etcd-client=3.5.16-4)
  rm -rf "$resolute" && mv "$resolute.tmp" "$resolute"
fi
