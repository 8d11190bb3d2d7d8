# shellcheck shell=bash
# Shell helpers shared by bench/compare.sh and bench/memory.sh (sourced; the caller defines log()).

# Waits (up to 20 s) until `file` contains `pattern`.
wait_for_line() {
  local file=$1 pattern=$2
  for _ in $(seq 1 200); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  log "timed out waiting for '$pattern' in $file"; cat "$file" >&2 || true
  return 1
}

# VmRSS / VmHWM of a pid in MiB.
rss_mib() { awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# The number after "key=" on stdin.
field() { grep -o "$1=[0-9.]*" | head -1 | cut -d= -f2; }
