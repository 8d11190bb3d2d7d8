// Shared inputs for the micro-benchmarks: the realistic event mix of `tally loadgen` (tools/loadgen_workload.h),
// without re-sends, and a temporary data directory.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/event.h"
#include "storage/storage.h"

namespace tally::bench {

// n distinct, valid events of the loadgen mix over `stores` stores, occurred_at over the 30 days before
// a fixed instant (so runs are comparable), in the order a producer would send them.
std::vector<Event> WorkloadEvents(size_t n, size_t stores = 100, uint32_t stream = 0);

// The fixed instant the events end at, and a clock reading that accepts them all.
TimeMs WorkloadEndMs();

// A fresh directory under the system temp dir, removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A data directory holding `events` (WorkloadEvents(kLoadedLogEvents), or $TALLY_BENCH_LOG_EVENTS events for a
// quicker run, e.g. under valgrind), appended under async durability, with
// every view caught up. Built once per process on first use and shared by the fold and query benchmarks
// (queries stay valid when a benchmark rebuilds a view: a rebuild gives the same rows).
constexpr size_t kLoadedLogEvents = 50'000;
struct LoadedLog {
  ScratchDir dir{"log"};
  std::unique_ptr<Storage> storage;
  std::vector<Event> events;
};
LoadedLog& SharedLoadedLog();

}  // namespace tally::bench
