#!/usr/bin/env bash
# Private PostgreSQL and Redis for development, demo and tests, under .data/ on fixed non-default ports.
# Usage: scripts/services.sh up|down|status
# Installs a Debian package only when its binary is missing; idempotent; stops what it started by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${CP_DATA_DIR:-$ROOT/.data}
PG_PORT=${CP_PG_PORT:-55432}
REDIS_PORT=${CP_REDIS_PORT:-56379}
PG_BIN=${CP_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=cp
PG_PASSWORD=cp

log() { printf '[services] %s\n' "$*" >&2; }

apt_updated=0
ensure_pkg() { # ensure_pkg <binary-path-or-name> <debian-package>
  if [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; then return 0; fi
  log "installing $2 (missing $1)"
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

# PostgreSQL refuses to run as root: use the postgres account (or the caller when not root). Its data directory
# must be reachable by that account; a checkout under a private home is not, so fall back to /var/tmp.
pg_account() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_dir() {
  local dir="$DATA/pg"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$DATA"
    if ! runuser -u postgres -- test -x "$DATA"; then
      dir="/var/tmp/cp-$(printf '%s' "$ROOT" | md5sum | cut -c1-10)/pg"
    fi
  fi
  echo "$dir"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(head -1 "$1")" 2>/dev/null; }

pg_up() {
  ensure_pkg "$PG_BIN/initdb" postgresql-15
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home postgres; fi
  local dir; dir=$(pg_dir)
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown -R "$(pg_account)" "$(dirname "$dir")"
    local pw; pw=$(mktemp); echo "$PG_PASSWORD" >"$pw"; chmod 644 "$pw"
    as_pg "$PG_BIN/initdb" -D "$dir" -U "$PG_USER" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pw"
  fi
  if pid_alive "$dir/postmaster.pid"; then log "PostgreSQL already running on $PG_PORT"; return 0; fi
  as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  log "PostgreSQL running on 127.0.0.1:$PG_PORT (user $PG_USER)"
  # The database the console and worker use by default.
  if ! as_pg "$PG_BIN/psql" -h "$dir" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc "select 1 from pg_database where datname='cp'" | grep -q 1; then
    as_pg "$PG_BIN/createdb" -h "$dir" -p "$PG_PORT" -U "$PG_USER" cp
  fi
}

pg_down() {
  local dir; dir=$(pg_dir)
  if pid_alive "$dir/postmaster.pid"; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null && log "PostgreSQL stopped"
  fi
}

redis_up() {
  ensure_pkg redis-server redis-server
  mkdir -p "$DATA/redis"
  if pid_alive "$DATA/redis/redis.pid"; then log "Redis already running on $REDIS_PORT"; return 0; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --maxmemory-policy noeviction \
    --daemonize yes --pidfile "$DATA/redis/redis.pid" --logfile "$DATA/redis/redis.log" --dir "$DATA/redis"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log "Redis running on 127.0.0.1:$REDIS_PORT"
}

redis_down() {
  if pid_alive "$DATA/redis/redis.pid"; then
    local pid; pid=$(head -1 "$DATA/redis/redis.pid")
    kill "$pid"; for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "Redis stopped"
  fi
}

status() {
  local dir; dir=$(pg_dir); local rc=0
  if pid_alive "$dir/postmaster.pid"; then echo "postgres: running (port $PG_PORT)"; else echo "postgres: stopped"; rc=1; fi
  if pid_alive "$DATA/redis/redis.pid"; then echo "redis: running (port $REDIS_PORT)"; else echo "redis: stopped"; rc=1; fi
  return $rc
}

case "${1:-}" in
  up) pg_up; redis_up ;;
  down) redis_down; pg_down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
