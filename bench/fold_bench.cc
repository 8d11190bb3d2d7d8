// The fold of each view, over the loadgen event mix:
//   Fold/<view>    — Processor::Apply alone, over 4096 events (one runner chunk) into an in-memory state: the
//                    view's own CPU cost per event, no RocksDB;
//   Replay/<view>  — the real path: a rebuild of that view (all: every view in one pass) from the shared log
//                    (bench_workload.h) through the runner — log reads, StoredEvent decodes, state reads from
//                    snapshots, one atomic commit per chunk.
// items_per_second is events/s.
//   tally_bench --benchmark_filter='Fold|Replay'
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/bench_workload.h"
#include "processors/engine.h"

namespace tally::bench {
namespace {

constexpr size_t kChunk = 4096;

class MapState final : public FoldState {
 public:
  std::optional<std::string> Get(std::string_view key) override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  void Put(std::string_view key, std::string value) override { rows_[std::string(key)] = std::move(value); }
  void Delete(std::string_view key) override { rows_.erase(std::string(key)); }
  size_t size() const { return rows_.size(); }

 private:
  std::unordered_map<std::string, std::string> rows_;
};

void FoldView(benchmark::State& state, size_t index) {
  auto processors = MakeAllProcessors();
  Processor& p = *processors[index];
  std::vector<Event> events = WorkloadEvents(kChunk);
  size_t rows = 0;
  for (auto _ : state) {
    MapState fold_state;
    uint64_t seq = 0;
    for (const Event& e : events) p.Apply(++seq, e, fold_state);
    rows = fold_state.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChunk));
  state.counters["rows_per_chunk"] = static_cast<double>(rows);
}

// state.range(0): the runner's chunk size (events folded per commit).
void ReplayView(benchmark::State& state, const std::string& view) {
  LoadedLog& log = SharedLoadedLog();
  EngineOptions options;
  options.runner.chunk_events = static_cast<size_t>(state.range(0));
  auto engine = std::move(ViewEngine::Open(log.storage.get(), options)).value();
  for (auto _ : state) {
    if (Status s = engine->Rebuild(view); !s.ok()) state.SkipWithError(s.ToString().c_str());
    if (Status s = engine->CatchUp(); !s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * log.events.size()));
}

const bool kRegistered = [] {
  auto processors = MakeAllProcessors();
  for (size_t i = 0; i < processors.size(); ++i) {
    std::string name(processors[i]->name());
    benchmark::RegisterBenchmark(("BM_Fold/" + name).c_str(), [i](benchmark::State& s) { FoldView(s, i); })
        ->MinTime(0.2);
    benchmark::RegisterBenchmark(("BM_Replay/" + name).c_str(), [name](benchmark::State& s) { ReplayView(s, name); })
        ->Arg(4096)
        ->Iterations(2)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("BM_Replay/all", [](benchmark::State& s) { ReplayView(s, "all"); })
      ->Arg(1024)
      ->Arg(4096)
      ->Arg(16384)
      ->Arg(65536)
      ->Iterations(2)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace
}  // namespace tally::bench
