#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the Postgres tests: `start DIR` initialises one in DIR (as a
# non-root user when run as root: initdb refuses root), listens on a free loopback port only,
# trusts local connections, and prints its DATABASE_URL; `stop DIR` stops it.
set -euo pipefail
pg_bin="${PG_BIN:-/usr/lib/postgresql/${PG_MAJOR:-15}/bin}"
action="${1:?start|stop}"
dir="$(realpath -m "${2:?cluster folder}")"
run_as=()
if [ "$(id -u)" = 0 ]; then
  id quarrypg >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin quarrypg
  run_as=(runuser -u quarrypg --)
fi
case "$action" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown quarrypg "$dir"
  # The postgres tools start in the caller's folder, which the cluster's user may not enter
  # (a clone under mktemp -d): work from the cluster's own folder instead.
  cd "$dir"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${run_as[@]}" "$pg_bin/initdb" -D "$dir/data" -U quarry --auth=trust -E UTF8 >/dev/null
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
  echo "postgres://quarry@127.0.0.1:$port/postgres"
  ;;
stop)
  cd "$dir" 2>/dev/null || cd /
  [ -d "$dir/data" ] && "${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  ;;
esac
