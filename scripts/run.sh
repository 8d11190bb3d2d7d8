#!/usr/bin/env bash
# README command #1: installs what is needed, builds tally, starts `tally serve` on a local data folder, pushes
# the demo events through the real TCP path and prints URLs to try. Ctrl-C stops the server cleanly.
#   TALLY_DATA (default ./data), TALLY_TCP (127.0.0.1:7070), TALLY_HTTP (127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR="${BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target tally

TALLY="$BUILD_DIR/tools/tally"
DATA="${TALLY_DATA:-./data}"
TCP="${TALLY_TCP:-127.0.0.1:7070}"
HTTP="${TALLY_HTTP:-127.0.0.1:8080}"

"$TALLY" serve --data "$DATA" --tcp "$TCP" --http "$HTTP" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER' INT TERM

for _ in $(seq 1 100); do
  curl -fsS "http://$HTTP/healthz" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { echo "tally serve exited early" >&2; exit 1; }
  sleep 0.1
done

# Pushing twice is harmless: every demo event has a fixed event_id, so a re-run reports duplicates.
"$TALLY" push --to "$TCP" tools/demo/events.ndjson

cat <<URLS

tally is running (data in $DATA). Try:
  curl 'http://$HTTP/v1/stores/acme-support/daily_metrics?from=2026-11-01&to=2026-11-21'
  curl 'http://$HTTP/v1/stores/acme-support/metrics?period=week&date=2026-11-18'
  curl 'http://$HTTP/v1/stores/acme-support/trends?from=2026-11-01&to=2026-11-21&granularity=week'
  curl 'http://$HTTP/v1/stores/acme-support/roi?period_days=21&to=2026-11-21'
  curl 'http://$HTTP/v1/stores/acme-support/quality?from=2026-11-01&to=2026-11-07'
  curl 'http://$HTTP/v1/stores/acme-support/conversations/acme-03-1'
  curl 'http://$HTTP/v1/stores/acme-support/content_gaps'
  curl 'http://$HTTP/v1/stores/acme-support/files?limit=5'
  curl 'http://$HTTP/v1/stores/acme-support/usage/daily?from=2026-11-01&to=2026-11-03'
  curl 'http://$HTTP/v1/stores/acme-support/usage/monthly?month=2026-11'
  curl 'http://$HTTP/v1/stores/acme-support/export?from=2026-11-01&to=2026-11-21&format=csv'
  curl 'http://$HTTP/v1/admin/status'
  curl 'http://$HTTP/metrics'
Ctrl-C stops the server (it drains and flushes first).
URLS
wait $SERVER
