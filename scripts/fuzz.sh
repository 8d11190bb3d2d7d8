#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, build-fuzz/) and fuzzes each one for FUZZ_SECONDS (default 30),
# starting from its seed corpus in fuzz/corpus/<target>/. First every saved crash in fuzz/regressions/<target>/
# is replayed: a regression fails the script at once. New findings land in build-fuzz/findings/<target>/ (move
# the input into fuzz/regressions/<target>/ once fixed). The repository's corpus is never modified: new
# coverage goes to build-fuzz/corpus/<target>/.
#   FUZZ_SECONDS=600 ./scripts/fuzz.sh            longer run
#   FUZZ_TARGETS="json_event" ./scripts/fuzz.sh   one target
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR="${BUILD_DIR:-build-fuzz}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
TARGETS="${FUZZ_TARGETS:-json_event wire_frame http_request stored_event}"

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DTALLY_FUZZ=ON -DTALLY_WERROR=OFF -DTALLY_BENCH=OFF >/dev/null
for t in $TARGETS; do cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target "fuzz_$t"; done

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for t in $TARGETS; do
  bin="$BUILD_DIR/fuzz/fuzz_$t"
  regressions=(fuzz/regressions/"$t"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "== $t: replaying ${#regressions[@]} saved crash(es)"
    "$bin" -runs=1 "${regressions[@]}"
  fi
  corpus="$BUILD_DIR/corpus/$t"
  findings="$BUILD_DIR/findings/$t"
  mkdir -p "$corpus" "$findings"
  echo "== $t: fuzzing for ${SECONDS_PER_TARGET}s"
  "$bin" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" "fuzz/corpus/$t"
done
