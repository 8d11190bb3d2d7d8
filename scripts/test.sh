#!/usr/bin/env bash
# README command #2: installs what is needed, builds, and runs every test.
#   ./scripts/test.sh            the whole suite on a normal (RelWithDebInfo) build
#   SANITIZE=1 ./scripts/test.sh the whole suite under ASan+UBSan (build-asan/)
#   TSAN=1 ./scripts/test.sh     the suite under ThreadSanitizer (build-tsan/)
# Long soak/load runs (the long kill loop among them) are labelled `long` and excluded unless LONG=1.
# TEST_LABELS (a ctest -L regex, e.g. "storage|net") limits the run to some layers; TARGETS then limits the
# build to the given targets (space-separated) instead of everything.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

if [ "${SANITIZE:-0}" = "1" ]; then
  export BUILD_DIR="${BUILD_DIR:-build-asan}"
  # A small quarantine keeps freed memory from inflating RSS, which the backpressure tests bound.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:quarantine_size_mb=4"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  ./scripts/build.sh -DTALLY_SANITIZE=ON -DTALLY_BENCH=OFF
elif [ "${TSAN:-0}" = "1" ]; then
  export BUILD_DIR="${BUILD_DIR:-build-tsan}"
  # ignore_interceptors_accesses: RocksDB (Debian's, not built with TSan) hands memory between its threads through
  # atomics TSan cannot see, and touches it only through intercepted libc calls (memcpy, memcmp, delete), so
  # TSan would report RocksDB's own handoffs. TSan still checks every load and store compiled into tally and
  # every lock, condition variable and atomic (docs/reliability.md, "Sanitizers").
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_interceptors_accesses=1:suppressions=$PWD/scripts/tsan-suppressions.txt"
  ./scripts/build.sh -DTALLY_TSAN=ON -DTALLY_BENCH=OFF
else
  export BUILD_DIR="${BUILD_DIR:-build}"
  ./scripts/build.sh
fi

LABEL_ARGS=()
if [ "${LONG:-0}" != "1" ]; then LABEL_ARGS=(-LE long); fi
if [ -n "${TEST_LABELS:-}" ]; then LABEL_ARGS+=(-L "$TEST_LABELS"); fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${TEST_JOBS:-2}" --timeout 600 "${LABEL_ARGS[@]}"
