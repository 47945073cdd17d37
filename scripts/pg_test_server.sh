#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the test suite, unless one answers already.
# Prints the admin URL on stdout. Usage: scripts/pg_test_server.sh [start|stop|status]
# `status` exits 0 when a server answers on the port (so a caller only stops what it started).
set -euo pipefail
PORT=${HEGUI_PG_PORT:-55432}
DIR=${HEGUI_PG_DIR:-/tmp/hegui-pg-$PORT}
action=${1:-start}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ]; then
  echo "PostgreSQL server binaries not found: install Debian 'postgresql' (scripts/setup.sh does this as root)" >&2
  exit 1
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$action" = status ]; then
  "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; exit $?
fi
if [ "$action" = stop ]; then
  [ -d "$DIR" ] && as_pg "$PGBIN/pg_ctl" -D "$DIR" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi
USER_NAME=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )
if "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
  echo "postgresql://$USER_NAME@127.0.0.1:$PORT/postgres"; exit 0
fi
if [ ! -f "$DIR/PG_VERSION" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
  as_pg "$PGBIN/initdb" -D "$DIR" -A trust -U "$USER_NAME" -E UTF8 --no-locale >/dev/null
fi
as_pg "$PGBIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR -c fsync=off -c max_connections=300" start >/dev/null
echo "postgresql://$USER_NAME@127.0.0.1:$PORT/postgres"
