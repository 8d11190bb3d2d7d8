#!/usr/bin/env bash
# bench/compare.sh — tally against its ceilings, in the same run on the same machine, as ratios:
#   durable ingest   tally loadgen (sync durability, batches of 1000)    vs  db_bench fillseq --sync=1 --batch_size=1000
#   replay           tally replay (every view, whole log)                vs  db_bench readseq (keys/s)
#   queries          wrk on GET daily_metrics (30 days)                  vs  wrk on nginx (1 worker) serving the same
#                                                                            JSON body as a static file
# plus view lag while loading, query p99 at ~10 K req/s (tally and nginx), the same query with tally's answer
# cache off (--answer-cache-mb 0: every request runs the query) and the server's RSS after the load.
# Everything listens on 127.0.0.1 (free ports), lives in a temp dir, and every run stops by itself.
#
#   bench/compare.sh                  one run with the defaults below
#   RUNS=3 EVENTS=2000000 bench/compare.sh   medians of 3 runs
# Knobs (environment): BUILD_DIR (build), RUNS (1), EVENTS (1000000), CONNECTIONS (4), STORES (100),
# DB_NUM (2000000 keys for db_bench), WRK_SECONDS (5), WRK_CONNECTIONS (16), PACED_CONNECTIONS (19), KEEP_TMP (0).
# Installs rocksdb-tools, nginx, wrk and curl with apt-get when they are missing.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
RUNS="${RUNS:-1}"
EVENTS="${EVENTS:-1000000}"
CONNECTIONS="${CONNECTIONS:-4}"
STORES="${STORES:-100}"
DB_NUM="${DB_NUM:-2000000}"
WRK_SECONDS="${WRK_SECONDS:-5}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-16}"
# The paced query run: each connection pauses 1 ms after every answer (wrk has no rate flag), so N connections
# offer at most N K req/s and achieve ~0.55 N K on this VM (14 reached ~8.6 K req/s, 17 ~9.3 K, on nginx too): 19 reach ~10 K.
PACED_CONNECTIONS="${PACED_CONNECTIONS:-19}"
TALLY="$BUILD_DIR/tools/tally"

log() { echo "compare: $*" >&2; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# --- Tools ---------------------------------------------------------------------------------------------------
ensure_tools() {
  local missing=()
  command -v db_bench >/dev/null || command -v rocksdb_db_bench >/dev/null || missing+=(rocksdb-tools)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    log "installing ${missing[*]}"
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  DB_BENCH="$(command -v db_bench || command -v rocksdb_db_bench)"
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
  if [ ! -x "$TALLY" ]; then
    log "building tally in $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD_DIR" --target tally -j "${JOBS:-2}"
  fi
}

# --- Processes we start (and only those) ----------------------------------------------------------------------
PIDS=()
TMP=""
cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  if [ -n "$TMP" ] && [ "${KEEP_TMP:-0}" != 1 ]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT

# Below the kernel's ephemeral range (ip_local_port_range), where wrk's and loadgen's own connections take their
# local ports: a port picked there could be taken by a client socket between the check and nginx's bind.
free_port() {
  local port low=32768
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  for _ in $(seq 1 100); do
    port=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  return 1
}

# wrk's "Latency Distribution" 99% line in ms.
wrk_p99_ms() {
  awk '$1 == "99%" { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
       if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.3f", v }' "$1"
}
wrk_rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }

# --- One run: prints "name value" lines -------------------------------------------------------------------------
run_once() {
  local dir=$1
  mkdir -p "$dir"

  log "db_bench fillseq (sync, batch 1000, value 200, $DB_NUM keys)"
  "$DB_BENCH" --benchmarks=fillseq --db="$dir/rocks-sync" --num="$DB_NUM" --sync=1 --batch_size=1000 \
    --value_size=200 --threads=1 >"$dir/db_fillseq.txt" 2>&1
  echo "db_fillseq_ops $(awk '$1 == "fillseq" { for (i = 1; i <= NF; i++) if ($i == "ops/sec") print $(i-1) }' "$dir/db_fillseq.txt" | head -1)"
  log "db_bench readseq ($DB_NUM keys)"
  "$DB_BENCH" --benchmarks=fillseq,readseq --db="$dir/rocks-read" --num="$DB_NUM" --sync=0 \
    --value_size=200 --threads=1 >"$dir/db_readseq.txt" 2>&1
  echo "db_readseq_ops $(awk '$1 == "readseq" { for (i = 1; i <= NF; i++) if ($i == "ops/sec") print $(i-1) }' "$dir/db_readseq.txt" | head -1)"
  rm -rf "$dir/rocks-sync" "$dir/rocks-read"

  log "tally serve (sync durability) + tally loadgen ($EVENTS events, $CONNECTIONS connections, $STORES stores)"
  "$TALLY" serve --data "$dir/tally" --tcp 127.0.0.1:0 --http 127.0.0.1:0 --durability sync \
    >"$dir/serve.out" 2>"$dir/serve.err" &
  local server=$!
  PIDS+=("$server")
  wait_for_line "$dir/serve.out" "listening tcp="
  local tcp http
  tcp=$(grep -o 'tcp=[0-9.:]*' "$dir/serve.out" | cut -d= -f2)
  http=$(grep -o 'http=[0-9.:]*' "$dir/serve.out" | cut -d= -f2)
  "$TALLY" loadgen --to "$tcp" --http "$http" --events "$EVENTS" --connections "$CONNECTIONS" --stores "$STORES" \
    --batch 1000 --inflight 8 --pregenerate >"$dir/loadgen.txt" 2>"$dir/loadgen.err"
  cat "$dir/loadgen.txt" >&2
  echo "ingest_accepted_per_s $(field accepted_per_s <"$dir/loadgen.txt")"
  echo "ingest_events_per_s $(field events_per_s <"$dir/loadgen.txt")"
  echo "ingest_p50_ms $(grep ack_latency_ms "$dir/loadgen.txt" | field p50)"
  echo "ingest_p99_ms $(grep ack_latency_ms "$dir/loadgen.txt" | field p99)"
  echo "ingest_p999_ms $(grep ack_latency_ms "$dir/loadgen.txt" | field p999)"
  echo "lag_max_s $(grep view_lag "$dir/loadgen.txt" | field max_s)"
  echo "lag_catch_up_s $(grep view_lag "$dir/loadgen.txt" | field caught_up_after_s)"
  echo "server_rss_mib $(rss_mib "$server" VmRSS)"
  echo "server_hwm_mib $(rss_mib "$server" VmHWM)"

  # The query: the busiest store (loadgen's skew), the last 30 days.
  local to from url
  to=$(date -u +%Y-%m-%d)
  from=$(date -u -d "$to -29 days" +%Y-%m-%d)
  url="http://$http/v1/stores/store-00000/daily_metrics?from=$from&to=$to"
  mkdir -p "$dir/www"
  curl -sf "$url" >"$dir/www/daily.json"
  echo "query_body_bytes $(wc -c <"$dir/www/daily.json")"
  log "wrk on tally GET daily_metrics (${WRK_SECONDS}s, $WRK_CONNECTIONS connections)"
  wrk -t1 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "$url" >"$dir/wrk_tally.txt" 2>&1
  echo "tally_rps $(wrk_rps "$dir/wrk_tally.txt")"
  echo "tally_p99_ms $(wrk_p99_ms "$dir/wrk_tally.txt")"
  # ~10 K req/s: PACED_CONNECTIONS connections, each pausing 1 ms after an answer (the achieved rate is printed).
  printf 'function delay()\n  return 1\nend\n' >"$dir/pace.lua"
  wrk -t1 -c"$PACED_CONNECTIONS" -d"${WRK_SECONDS}s" --latency -s "$dir/pace.lua" "$url" >"$dir/wrk_tally_10k.txt" 2>&1
  echo "tally_paced_rps $(wrk_rps "$dir/wrk_tally_10k.txt")"
  echo "tally_paced_p99_ms $(wrk_p99_ms "$dir/wrk_tally_10k.txt")"
  echo "tally_cache_hits $(curl -sf "http://$http/metrics" | awk '$1 == "tally_answer_cache_hits_total" { print $2 }')"

  # wrk repeats one URL, so the above are answer-cache hits. The same query with the cache off
  # (--answer-cache-mb 0), so every request runs it: a restart on the same data, views already caught up.
  kill -TERM "$server"; wait "$server" 2>/dev/null || true
  "$TALLY" serve --data "$dir/tally" --tcp 127.0.0.1:0 --http 127.0.0.1:0 --durability sync --answer-cache-mb 0 \
    >"$dir/serve_uncached.out" 2>"$dir/serve_uncached.err" &
  server=$!
  PIDS+=("$server")
  wait_for_line "$dir/serve_uncached.out" "listening tcp="
  http=$(grep -o 'http=[0-9.:]*' "$dir/serve_uncached.out" | cut -d= -f2)
  url="http://$http/v1/stores/store-00000/daily_metrics?from=$from&to=$to"
  log "wrk on tally GET daily_metrics, answer cache off"
  wrk -t1 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "$url" >"$dir/wrk_tally_uncached.txt" 2>&1
  echo "tally_uncached_rps $(wrk_rps "$dir/wrk_tally_uncached.txt")"
  echo "tally_uncached_p99_ms $(wrk_p99_ms "$dir/wrk_tally_uncached.txt")"
  wrk -t1 -c"$PACED_CONNECTIONS" -d"${WRK_SECONDS}s" --latency -s "$dir/pace.lua" "$url" >"$dir/wrk_tally_uncached_10k.txt" 2>&1
  echo "tally_uncached_paced_rps $(wrk_rps "$dir/wrk_tally_uncached_10k.txt")"
  echo "tally_uncached_paced_p99_ms $(wrk_p99_ms "$dir/wrk_tally_uncached_10k.txt")"

  local nginx_port
  nginx_port=$(free_port)
  chmod 755 "$dir" "$dir/www" && chmod 644 "$dir/www/daily.json"
  mkdir -p "$dir/nginx"
  cat >"$dir/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  default_type application/json;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    root $dir/www;
  }
}
EOF
  "$NGINX" -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" &
  local nginx=$!
  PIDS+=("$nginx")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$nginx_port/daily.json" >/dev/null && break; sleep 0.1; done
  log "wrk on nginx static daily.json"
  wrk -t1 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "http://127.0.0.1:$nginx_port/daily.json" \
    >"$dir/wrk_nginx.txt" 2>&1
  echo "nginx_rps $(wrk_rps "$dir/wrk_nginx.txt")"
  echo "nginx_p99_ms $(wrk_p99_ms "$dir/wrk_nginx.txt")"
  wrk -t1 -c"$PACED_CONNECTIONS" -d"${WRK_SECONDS}s" --latency -s "$dir/pace.lua" "http://127.0.0.1:$nginx_port/daily.json" \
    >"$dir/wrk_nginx_10k.txt" 2>&1
  echo "nginx_paced_rps $(wrk_rps "$dir/wrk_nginx_10k.txt")"
  echo "nginx_paced_p99_ms $(wrk_p99_ms "$dir/wrk_nginx_10k.txt")"
  kill "$nginx"; wait "$nginx" 2>/dev/null || true

  kill -TERM "$server"; wait "$server" 2>/dev/null || true
  log "tally replay (every view, whole log)"
  /usr/bin/time -f "max_rss_kib %M" -o "$dir/replay.time" "$TALLY" replay --data "$dir/tally" \
    >"$dir/replay.txt" 2>"$dir/replay.err"
  cat "$dir/replay.txt" >&2
  echo "replay_events_per_s $(grep -o '([0-9.]* events/s)' "$dir/replay.txt" | tr -d '(' | cut -d' ' -f1)"
  echo "replay_rss_mib $(awk '{ printf "%.0f", $2 / 1024 }' "$dir/replay.time")"
  rm -rf "$dir/tally"
}

median() {  # median of the values of one metric over all runs
  grep "^$1 " "$RESULTS" | awk '{ print $2 }' | grep -v '^$' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) printf "%.10g\n", v[(NR + 1) / 2]; else printf "%.10g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

main() {
  ensure_tools
  TMP="$(mktemp -d /tmp/tally-compare.XXXXXX)"
  chmod 755 "$TMP"  # nginx's worker (nobody, when started as root) reads the static file below it
  RESULTS="$TMP/results.txt"
  local load_before load_after
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  for run in $(seq 1 "$RUNS"); do
    log "run $run of $RUNS"
    # Not in a pipeline: run_once must run in this shell so the trap knows the pids it starts.
    run_once "$TMP/run$run" >"$TMP/run$run.txt"
    cat "$TMP/run$run.txt" | tee -a "$RESULTS" >&2
  done
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)

  local fill readseq ingest replay nginx tally
  fill=$(median db_fillseq_ops); readseq=$(median db_readseq_ops)
  ingest=$(median ingest_accepted_per_s); replay=$(median replay_events_per_s)
  nginx=$(median nginx_rps); tally=$(median tally_rps)
  echo
  echo "machine: $(nproc) cores, $(free -m | awk '/^Mem:/ { print $2 }') MiB, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "load average before: $load_before   after: $load_after   runs: $RUNS (medians)"
  echo "events: $EVENTS over $STORES stores, $CONNECTIONS connections; db_bench keys: $DB_NUM"
  echo
  printf '| %-34s | %14s | %-40s | %14s | %6s | %-8s |\n' path tally ceiling "ceiling value" ratio target
  printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "$(printf -- '-%.0s' {1..16})" \
    "$(printf -- '-%.0s' {1..42})" "$(printf -- '-%.0s' {1..16})" "--------" "----------"
  printf '| %-34s | %14s | %-40s | %14s | %6s | %-8s |\n' "durable ingest (events/s)" "$ingest" \
    "db_bench fillseq sync batch 1000 (keys/s)" "$fill" "$(ratio "$ingest" "$fill")" ">= 0.5"
  printf '| %-34s | %14s | %-40s | %14s | %6s | %-8s |\n' "replay, all views (events/s)" "$replay" \
    "db_bench readseq (keys/s)" "$readseq" "$(ratio "$replay" "$readseq")" ">= 0.5"
  printf '| %-34s | %14s | %-40s | %14s | %6s | %-8s |\n' "GET daily_metrics 30 d (req/s)" "$tally" \
    "nginx static file, 1 worker (req/s)" "$nginx" "$(ratio "$tally" "$nginx")" ">= 0.5"
  echo
  echo "ingest ack latency ms: p50 $(median ingest_p50_ms)  p99 $(median ingest_p99_ms)  p999 $(median ingest_p999_ms)"
  echo "view lag while loading: max $(median lag_max_s) s; caught up $(median lag_catch_up_s) s after the last ack (target < 1 s)"
  echo "query p99: $(median tally_p99_ms) ms at $tally req/s ($WRK_CONNECTIONS connections); $(median tally_paced_p99_ms) ms at $(median tally_paced_rps) req/s paced (target < 2 ms at 10 K req/s); nginx p99 $(median nginx_p99_ms) ms, paced $(median nginx_paced_p99_ms) ms at $(median nginx_paced_rps) req/s"
  echo "  (those are answer-cache hits: $(median tally_cache_hits) in the run)"
  echo "query with the answer cache off: $(median tally_uncached_rps) req/s (ratio $(ratio "$(median tally_uncached_rps)" "$nginx")), p99 $(median tally_uncached_p99_ms) ms; paced p99 $(median tally_uncached_paced_p99_ms) ms at $(median tally_uncached_paced_rps) req/s"
  echo "server RSS after the load: $(median server_rss_mib) MiB (peak $(median server_hwm_mib) MiB); replay peak RSS $(median replay_rss_mib) MiB"
  echo "query body: $(median query_body_bytes) bytes"
}

main "$@"
