#!/usr/bin/env bash
# Private services for development, demo and tests, under .data/ on fixed non-default ports: PostgreSQL and Redis
# for the control plane; MariaDB, s3rver and the local cloud daemon (apps/local-cloud) for the `local` cloud.
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
# The local cloud: ports and the demo password match the defaults of packages/config/src/local-cloud.ts.
MARIADB_PORT=${CP_LOCAL_CLOUD_MYSQL_PORT:-53306}
MARIADB_CLOUD_USER=${CP_LOCAL_CLOUD_MYSQL_USER:-cloud}
MARIADB_CLOUD_PASSWORD=${CP_LOCAL_CLOUD_MYSQL_PASSWORD:-cloud-demo-password}
S3_PORT=${CP_LOCAL_S3_PORT:-59000}
LOCAL_CLOUD_PORT=${CP_LOCAL_CLOUD_PORT:-4300}
RUN="$DATA/run"
LOGS="$DATA/logs"

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

# --- MariaDB: tenant databases of the local cloud ---------------------------------------------------------------
# Every command gets --defaults-file so /etc/mysql is never read (OFFLINE.md). OS root reaches root@localhost over
# the socket; the daemon uses the `cloud` account over TCP.
MARIADB_DIR="$DATA/mariadb"
MARIADB_CNF="$MARIADB_DIR/my.cnf"

mariadb_write_cnf() {
  local user_line=""
  if [ "$(id -u)" = 0 ]; then user_line="user=root"; fi
  mkdir -p "$MARIADB_DIR/data" "$MARIADB_DIR/tmp"
  cat >"$MARIADB_CNF.new" <<CNF
[client-server]
port=$MARIADB_PORT
socket=$MARIADB_DIR/mariadb.sock

[mariadbd]
$user_line
datadir=$MARIADB_DIR/data
pid-file=$MARIADB_DIR/mariadb.pid
tmpdir=$MARIADB_DIR/tmp
log-error=$MARIADB_DIR/error.log
bind-address=127.0.0.1
skip-name-resolve
# Per-user statistics (information_schema.USER_STATISTICS): tenant services report their database CPU time.
userstat=1
max_connections=1000
innodb_buffer_pool_size=128M
innodb_flush_log_at_trx_commit=2
CNF
  if cmp -s "$MARIADB_CNF.new" "$MARIADB_CNF"; then rm -f "$MARIADB_CNF.new"; else mv "$MARIADB_CNF.new" "$MARIADB_CNF"; fi
}

mariadb_sql() { mariadb --defaults-file="$MARIADB_CNF" -u root "$@"; }

mariadb_up() {
  ensure_pkg mariadbd mariadb-server
  mariadb_write_cnf
  if [ ! -d "$MARIADB_DIR/data/mysql" ]; then
    log "initialising MariaDB in $MARIADB_DIR"
    mariadb-install-db --defaults-file="$MARIADB_CNF" --skip-test-db --auth-root-authentication-method=socket \
      >"$MARIADB_DIR/install.log" 2>&1 || { cat "$MARIADB_DIR/install.log" >&2; return 1; }
  fi
  if pid_alive "$MARIADB_DIR/mariadb.pid"; then
    log "MariaDB already running on $MARIADB_PORT"
  else
    setsid mariadbd --defaults-file="$MARIADB_CNF" >/dev/null 2>&1 </dev/null &
    local ok=0
    for _ in $(seq 150); do
      if mariadb-admin --defaults-file="$MARIADB_CNF" -u root ping >/dev/null 2>&1; then ok=1; break; fi
      sleep 0.1
    done
    if [ "$ok" = 0 ]; then log "MariaDB did not start; see $MARIADB_DIR/error.log"; return 1; fi
    log "MariaDB running on 127.0.0.1:$MARIADB_PORT"
  fi
  # The local cloud's admin account: creates and drops tenant databases (t_*) and their users. It passes PROCESS on
  # to tenant users, which need it to read their own row of USER_STATISTICS (without it the table looks empty).
  # SELECT on mysql.global_priv lets it list users. Idempotent; keeps the password current.
  mariadb_sql <<SQL
CREATE USER IF NOT EXISTS '$MARIADB_CLOUD_USER'@'127.0.0.1' IDENTIFIED BY '$MARIADB_CLOUD_PASSWORD';
ALTER USER '$MARIADB_CLOUD_USER'@'127.0.0.1' IDENTIFIED BY '$MARIADB_CLOUD_PASSWORD';
GRANT CREATE USER, PROCESS ON *.* TO '$MARIADB_CLOUD_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON \`t\\_%\`.* TO '$MARIADB_CLOUD_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT SELECT ON mysql.global_priv TO '$MARIADB_CLOUD_USER'@'127.0.0.1';
SQL
}

mariadb_down() {
  if pid_alive "$MARIADB_DIR/mariadb.pid"; then
    local pid; pid=$(head -1 "$MARIADB_DIR/mariadb.pid")
    mariadb-admin --defaults-file="$MARIADB_CNF" -u root shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "MariaDB stopped"
  fi
}

# --- Node services: s3rver and the local cloud daemon -------------------------------------------------------------
# Started in their own session (setsid) so that Ctrl-C in the terminal that ran `up` does not reach them; their PID
# files are under .data/run. The AWS SDK's notice about Node 20 would otherwise open every log.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
node_service_up() { # node_service_up <name> <ready-url> <what-runs-where> <node args...>
  local name=$1 url=$2 what=$3; shift 3
  mkdir -p "$RUN" "$LOGS"
  if pid_alive "$RUN/$name.pid"; then log "$name already running: $what"; return 0; fi
  (cd "$ROOT" && exec setsid node "$@" >>"$LOGS/$name.log" 2>&1 </dev/null) &
  echo $! >"$RUN/$name.pid"
  for _ in $(seq 150); do
    if curl -s -o /dev/null --max-time 1 "$url"; then log "$name running: $what"; return 0; fi
    if ! pid_alive "$RUN/$name.pid"; then break; fi
    sleep 0.1
  done
  log "$name did not start; see $LOGS/$name.log"
  tail -5 "$LOGS/$name.log" >&2 || true
  pid_alive "$RUN/$name.pid" && kill "$(head -1 "$RUN/$name.pid")" 2>/dev/null
  rm -f "$RUN/$name.pid"
  return 1
}

node_service_down() { # node_service_down <name>
  local name=$1
  if pid_alive "$RUN/$name.pid"; then
    local pid; pid=$(head -1 "$RUN/$name.pid")
    kill "$pid"; for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "$name stopped"
  fi
  rm -f "$RUN/$name.pid"
}

# s3rver needs --openssl-legacy-provider on Node 20 (OFFLINE.md: else the second page of ListObjectsV2 fails).
s3_up() {
  mkdir -p "$DATA/s3"
  CP_LOCAL_S3_PORT=$S3_PORT CP_LOCAL_S3_DATA_DIR="$DATA/s3" \
    node_service_up s3rver "http://127.0.0.1:$S3_PORT/" "127.0.0.1:$S3_PORT (access key S3RVER, data .data/s3)" \
    --openssl-legacy-provider --import tsx apps/local-cloud/src/s3-server.ts
}

# Started last: it needs MariaDB and s3rver, and re-adopts the instances in its state file when it starts.
local_cloud_up() {
  # Backups dump and load tenant databases with the server's own client tools.
  ensure_pkg mariadb-dump mariadb-client
  ensure_pkg zstd zstd
  CP_MODE=${CP_MODE:-development} CP_LOCAL_CLOUD_PORT=$LOCAL_CLOUD_PORT CP_LOCAL_CLOUD_DATA_DIR="$DATA/local-cloud" \
    CP_LOCAL_CLOUD_MYSQL_PORT=$MARIADB_PORT CP_LOCAL_CLOUD_MYSQL_USER=$MARIADB_CLOUD_USER \
    CP_LOCAL_CLOUD_MYSQL_PASSWORD=$MARIADB_CLOUD_PASSWORD CP_LOCAL_S3_PORT=$S3_PORT \
    node_service_up local-cloud "http://127.0.0.1:$LOCAL_CLOUD_PORT/healthz" \
    "http://127.0.0.1:$LOCAL_CLOUD_PORT (logs: .data/logs/local-cloud.log)" \
    --import tsx apps/local-cloud/src/main.ts
}

status() {
  local dir; dir=$(pg_dir); local rc=0
  if pid_alive "$dir/postmaster.pid"; then echo "postgres: running (port $PG_PORT)"; else echo "postgres: stopped"; rc=1; fi
  if pid_alive "$DATA/redis/redis.pid"; then echo "redis: running (port $REDIS_PORT)"; else echo "redis: stopped"; rc=1; fi
  if pid_alive "$MARIADB_DIR/mariadb.pid"; then echo "mariadb: running (port $MARIADB_PORT)"; else echo "mariadb: stopped"; rc=1; fi
  if pid_alive "$RUN/s3rver.pid"; then echo "s3rver: running (port $S3_PORT)"; else echo "s3rver: stopped"; rc=1; fi
  if pid_alive "$RUN/local-cloud.pid"; then echo "local-cloud: running (port $LOCAL_CLOUD_PORT)"; else echo "local-cloud: stopped"; rc=1; fi
  return $rc
}

case "${1:-}" in
  up) pg_up; redis_up; mariadb_up; s3_up; local_cloud_up ;;
  down) node_service_down local-cloud; node_service_down s3rver; mariadb_down; redis_down; pg_down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
