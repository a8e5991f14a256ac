#!/usr/bin/env bash
# The test command (README): from a fresh clone on Debian with Node 20 it installs what is missing, starts
# PostgreSQL and Redis, migrates, lints, type-checks, builds, and runs the unit, integration and e2e tiers.
# It ends with one line "N passed, N failed" for all tiers together, and exits non-zero if anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
export CP_LOG_LEVEL=${CP_LOG_LEVEL:-warn}
RESULTS="$ROOT/.data/test-results"
started_services=0
gate_failed=0
t0=$(date +%s)

step() { printf '\n==> %s\n' "$*"; }
fail_gate() { echo "FAILED: $*" >&2; gate_failed=1; }

cleanup() {
  if [ "$started_services" = 1 ]; then bash scripts/services.sh down || true; fi
}
trap cleanup EXIT

step "dependencies"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || { echo "npm ci failed" >&2; exit 1; }
fi
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || { echo "could not install chromium" >&2; exit 1; }
fi

step "services"
bash scripts/services.sh status >/dev/null 2>&1 || started_services=1
# The campaign tests make one instance fail its health gate through the local cloud's fault injection.
export LOCAL_CLOUD_ALLOW_FAULTS=1
bash scripts/services.sh up || { echo "services did not start" >&2; exit 1; }

step "prisma generate"
npx prisma generate >/dev/null || { echo "prisma generate failed" >&2; exit 1; }

step "lint and type-check"
npx turbo run lint typecheck --continue --output-logs=errors-only || fail_gate "lint or type-check"
npx eslint . >/dev/null || fail_gate "lint of the root's scripts and e2e (run: npx eslint .)"
npx tsc -p tsconfig.json --noEmit || fail_gate "type-check of the root's scripts and e2e"
npx prettier --check . >/dev/null || fail_gate "formatting (run: npm run format)"

step "build"
CP_MODE=test npx turbo run build --output-logs=errors-only || { echo "build failed" >&2; exit 1; }

rm -rf "$RESULTS" && mkdir -p "$RESULTS"

step "unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$RESULTS/unit.json"

step "integration tests"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json="$RESULTS/integration.json"

step "e2e tests (Chromium)"
if CP_MODE=test npx tsx e2e/prepare.ts; then
  npx playwright test -c e2e/playwright.config.ts
else
  echo "e2e preparation failed" >&2
fi

step "summary"
echo "wall time: $(( $(date +%s) - t0 )) s"
node scripts/test/summarize.mjs "$RESULTS"
status=$?
[ "$gate_failed" = 1 ] && status=1
exit $status
