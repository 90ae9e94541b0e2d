# Sourced by the db-relation hooks and the put and get actions: where this unit keeps what the db relation
# gave it (its own filesystem root: UNIT_FS_ROOT in the local model, / on a machine), and etcdctl with it.
state="${UNIT_FS_ROOT:-}/var/lib/etcd-consumer"

# etcdctl (API v3) against the stored connection_string, with the stored credentials when there are any.
# Fails the action with etcdctl's own error when etcd refuses (and returns 1); prints etcdctl's output otherwise.
consumer_etcdctl() {
  if [ ! -f "$state/connection" ]; then
    action-fail "not ready: no etcd connection from the db relation"
    return 1
  fi
  set -- --endpoints="$(cat "$state/connection")" --dial-timeout=3s --command-timeout=5s "$@"
  if [ -f "$state/client-key.pem" ]; then
    set -- --cacert="$state/client-ca.pem" --cert="$state/client-cert.pem" --key="$state/client-key.pem" "$@"
  fi
  if ! out=$(ETCDCTL_API=3 etcdctl "$@" 2>&1); then
    action-fail "etcdctl: $(printf '%s' "$out" | tail -n 1)"
    return 1
  fi
  printf '%s' "$out"
}
