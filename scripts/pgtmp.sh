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
  # Fast and not crash-safe, unless PGTMP_DURABLE=1 (tests that crash the
  # server and expect committed work to survive).
  local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${PGTMP_DURABLE:-}" = 1 ] && fast=""
  echo "-p $port -k $dir -c listen_addresses=127.0.0.1 $fast -c max_connections=200 -c shared_buffers=256MB" >"$dir/options"
  "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/log" -o "$(cat "$dir/options")" \
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

# pause stops the server as a crash would (immediate: no checkpoint, every
# session cut); resume starts it again on the same port and data. Tests use
# them to take PostgreSQL away under a running daemon.
pause() {
  local dir=$1 bindir runas=()
  bindir=$(find_bindir)
  [ "$(id -u)" = 0 ] && runas=(runuser -u postgres --)
  "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >&2
}

resume() {
  local dir=$1 bindir runas=()
  bindir=$(find_bindir)
  [ "$(id -u)" = 0 ] && runas=(runuser -u postgres --)
  "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/log" -o "$(cat "$dir/options")" start >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  pause) pause "${2:?usage: $0 pause DIR}" ;;
  resume) resume "${2:?usage: $0 resume DIR}" ;;
  *) echo "usage: $0 start | stop DIR | pause DIR | resume DIR" >&2; exit 2 ;;
esac
