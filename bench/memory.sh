#!/usr/bin/env bash
# bench/memory.sh — the memory target: the server's resident set while `tally loadgen` pushes EVENTS events over
# STORES stores (durable, the views folding live), sampled every SAMPLE_SECONDS from /proc, and after the load.
#
#   bench/memory.sh                                   20 M events over 10 000 stores (~7 min on 2 cores)
#   EVENTS=2000000 STORES=1000 bench/memory.sh        a shorter run
# Knobs (environment): BUILD_DIR (build), EVENTS (20000000), STORES (10000), CONNECTIONS (4),
# SAMPLE_SECONDS (15), AFTER_SECONDS (30: how long after the last ack the last sample is taken), KEEP_TMP (0).
# Prints one "name value" line per figure; the samples ("t_s rss_mib log_head slowest_view_offset") go to
# stderr as they are taken.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
EVENTS="${EVENTS:-20000000}"
STORES="${STORES:-10000}"
CONNECTIONS="${CONNECTIONS:-4}"
SAMPLE_SECONDS="${SAMPLE_SECONDS:-15}"
AFTER_SECONDS="${AFTER_SECONDS:-30}"
TALLY="$BUILD_DIR/tools/tally"
log() { echo "memory: $*" >&2; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
[ -x "$TALLY" ] || { echo "memory: build tally first (scripts/build.sh)" >&2; exit 2; }
command -v curl >/dev/null || { echo "memory: needs curl" >&2; exit 2; }

TMP="$(mktemp -d)"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ "${KEEP_TMP:-0}" != 1 ]; then rm -rf "$TMP"; else echo "memory: kept $TMP" >&2; fi
}
trap cleanup EXIT

status_json() { curl -s --max-time 5 "http://$HTTP/v1/admin/status" || true; }
# "head slowest_offset" from the status JSON.
offsets() {
  status_json | tr ',{}[]' '\n' | awk -F: '
    /"log_head"/ { head = $2 }
    /"offset"/ { if (min == "" || $2 + 0 < min + 0) min = $2 }
    END { print head + 0, min + 0 }'
}

"$TALLY" serve --data "$TMP/data" --tcp 127.0.0.1:0 --http 127.0.0.1:0 --durability sync >"$TMP/serve.out" \
  2>"$TMP/serve.err" &
SERVER=$!
wait_for_line "$TMP/serve.out" "listening tcp=" || true
TCP=$(grep -o 'tcp=[0-9.:]*' "$TMP/serve.out" | cut -d= -f2)
HTTP=$(grep -o 'http=[0-9.:]*' "$TMP/serve.out" | cut -d= -f2)
if [ -z "$TCP" ] || [ -z "$HTTP" ]; then
  echo "memory: the server did not start" >&2
  cat "$TMP/serve.err" >&2
  exit 1
fi

echo "memory: $EVENTS events over $STORES stores, $CONNECTIONS connections" >&2
START=$(date +%s)
"$TALLY" loadgen --to "$TCP" --http "$HTTP" --events "$EVENTS" --connections "$CONNECTIONS" --stores "$STORES" \
  --batch 1000 --inflight 8 >"$TMP/loadgen.txt" 2>"$TMP/loadgen.err" &
LOADGEN=$!
max_rss=0
while kill -0 "$LOADGEN" 2>/dev/null; do
  rss=$(rss_mib "$SERVER" VmRSS)
  [ "$rss" -gt "$max_rss" ] && max_rss=$rss
  echo "sample $(($(date +%s) - START)) $rss $(offsets)" >&2
  for _ in $(seq 1 "$SAMPLE_SECONDS"); do kill -0 "$LOADGEN" 2>/dev/null || break; sleep 1; done
done
wait "$LOADGEN" || { echo "memory: loadgen failed" >&2; cat "$TMP/loadgen.err" >&2; exit 1; }
END=$(date +%s)
cat "$TMP/loadgen.txt" >&2
sleep "$AFTER_SECONDS"  # the figure asked for is the resident set some time after the load, not a condition
echo "after $AFTER_SECONDS s: $(offsets)" >&2

echo "load_seconds $((END - START))"
echo "accepted_per_s $(field accepted_per_s <"$TMP/loadgen.txt")"
echo "ack_p99_ms $(grep ack_latency_ms "$TMP/loadgen.txt" | field p99)"
echo "view_lag_max_events $(grep view_lag "$TMP/loadgen.txt" | field max_events)"
echo "view_lag_max_s $(grep view_lag "$TMP/loadgen.txt" | field max_s)"
echo "views_caught_up_after_s $(grep view_lag "$TMP/loadgen.txt" | field caught_up_after_s)"
echo "rss_highest_sample_mib $max_rss"
echo "rss_peak_mib $(rss_mib "$SERVER" VmHWM)"
echo "rss_after_mib $(rss_mib "$SERVER" VmRSS)"
echo "disk_mib $(du -sm "$TMP/data" | cut -f1)"
