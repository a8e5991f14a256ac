#!/usr/bin/env bash
# The start command (README): from a fresh clone on Debian with Node 20 it installs what is missing, starts
# PostgreSQL and Redis, migrates, seeds demo data, builds, and runs the console and the worker in demo mode.
# Ctrl-C stops the console and worker; `bash scripts/services.sh down` stops the databases.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
export CP_MODE=${CP_MODE:-demo}
PORT=${PORT:-3000}
export NEXTAUTH_URL=${NEXTAUTH_URL:-http://localhost:$PORT}
LOGS="$ROOT/.data/logs"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/services.sh up
npx prisma generate >/dev/null
npx prisma migrate deploy >/dev/null
npx tsx scripts/seed.ts --quiet
npx turbo run build --output-logs=errors-only --filter=@cp/console --filter=@cp/worker

mkdir -p "$LOGS"
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping console and worker…"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

node apps/worker/dist/main.js >"$LOGS/worker.log" 2>&1 &
pids+=($!)
node_modules/.bin/next start apps/console -p "$PORT" >"$LOGS/console.log" 2>&1 &
pids+=($!)

for _ in $(seq 120); do curl -fsS "http://localhost:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done

cat <<MSG

  Control Plane is running (CP_MODE=$CP_MODE)
    console   $NEXTAUTH_URL          logs: .data/logs/console.log
    worker    http://localhost:${CP_WORKER_PORT:-3101}/healthz   logs: .data/logs/worker.log (mail is printed there)
    local cloud http://127.0.0.1:4300/healthz   logs: .data/logs/local-cloud.log (instances get http://127.0.0.1:4401-4599)

MSG
npx tsx scripts/seed.ts --list | sed 's/^/  /'
echo
echo "  Press Ctrl-C to stop."
wait
