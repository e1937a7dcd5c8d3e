#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests and benchmarks.
#
#   eval "$(scripts/pgtmp.sh start)"   # exports VINVENTORY_TEST_PG_DSN and PGTMP_DIR
#   scripts/pgtmp.sh stop "$PGTMP_DIR"
#
# Uses Debian's PostgreSQL (installs it with apt-get when missing and running
# as root), runs it as the `postgres` user in a fresh temp dir on a free
# loopback port with fsync off. Nothing outside the temp dir is touched.
set -euo pipefail

find_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

start() {
  local bindir
  if ! bindir=$(find_bindir); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "pgtmp: PostgreSQL not found; installing Debian's postgresql" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
      bindir=$(find_bindir)
    else
      echo "pgtmp: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin" >&2
      exit 1
    fi
  fi
  local dir port runas=()
  dir=$(mktemp -d /tmp/vinventory-pg.XXXXXX)
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$dir"
    runas=(runuser -u postgres --)
  fi
  port=$(free_port)
  "${runas[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB" \
    start >&2 || { cat "$dir/log" >&2; exit 1; }
  echo "export PGTMP_DIR='$dir'"
  echo "export VINVENTORY_TEST_PG_DSN='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
}

stop() {
  local dir=${1:-${PGTMP_DIR:-}} bindir runas=()
  [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
  bindir=$(find_bindir) || return 0
  [ "$(id -u)" = 0 ] && runas=(runuser -u postgres --)
  "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
