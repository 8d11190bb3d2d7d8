#include "bench/bench_workload.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "processors/engine.h"
#include "tools/loadgen_workload.h"

namespace tally::bench {

TimeMs WorkloadEndMs() { return 1'795'000'000'000; }  // 2026-11-18T11:06:40Z

std::vector<Event> WorkloadEvents(size_t n, size_t stores, uint32_t stream) {
  tools::WorkloadOptions options;
  options.seed = 7;
  options.stream = stream;
  options.stores = stores;
  options.events = n;
  options.span_ms = 30 * kMsPerDay;
  options.start_ms = WorkloadEndMs() - options.span_ms;
  options.duplicate_share = 0;
  tools::Workload workload(options);
  std::vector<Event> events;
  events.reserve(n);
  bool resend = false;
  for (size_t i = 0; i < n; ++i) events.push_back(workload.Next(&resend));
  return events;
}

ScratchDir::ScratchDir(const std::string& name)
    : path_(std::filesystem::temp_directory_path() / ("tally-bench-" + name + "-" + std::to_string(getpid()))) {
  std::filesystem::remove_all(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

std::unique_ptr<LoadedLog> BuildLoadedLog() {
  auto log = std::make_unique<LoadedLog>();
  StorageOptions options;
  options.path = log->dir.path();
  options.durability = Durability::kAsync;
  log->storage = std::move(Storage::Open(options)).value();
  const char* override_events = std::getenv("TALLY_BENCH_LOG_EVENTS");
  log->events = WorkloadEvents(override_events != nullptr ? std::strtoul(override_events, nullptr, 10)
                                                          : kLoadedLogEvents);
  for (size_t i = 0; i < log->events.size(); i += 1000) {
    size_t end = std::min(log->events.size(), i + 1000);
    log->storage->AppendAndWait(std::vector<Event>(log->events.begin() + static_cast<long>(i),
                                                   log->events.begin() + static_cast<long>(end)));
  }
  auto engine = std::move(ViewEngine::Open(log->storage.get())).value();
  if (Status s = engine->CatchUp(); !s.ok()) std::abort();
  return log;
}

}  // namespace

LoadedLog& SharedLoadedLog() {
  static std::unique_ptr<LoadedLog> log = BuildLoadedLog();
  return *log;
}

}  // namespace tally::bench
