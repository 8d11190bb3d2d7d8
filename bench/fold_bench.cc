// The fold of each view, over the loadgen event mix:
//   Fold/<view>    — Processor::Apply alone, over 4096 events (one runner chunk) into an in-memory state: the
//                    view's own CPU cost per event, no RocksDB;
//   Replay/<view>  — the real path: a rebuild of that view (all: every view in one pass) from the shared log
//                    (bench_workload.h) through the runner — log reads, StoredEvent decodes, state reads from
//                    snapshots, one atomic commit per chunk (/<chunk events>/<chunks per commit>, 0: the
//                    runner's default).
// items_per_second is events/s.
//   tally_bench --benchmark_filter='Fold|Replay'
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/bench_workload.h"
#include "processors/engine.h"
#include "processors/memory_fold_state.h"

namespace tally::bench {
namespace {

constexpr size_t kChunk = 4096;

void FoldView(benchmark::State& state, size_t index) {
  auto processors = MakeAllProcessors();
  Processor& p = *processors[index];
  std::vector<Event> events = WorkloadEvents(kChunk);
  size_t rows = 0;
  for (auto _ : state) {
    MemoryFoldState fold_state;
    uint64_t seq = 0;
    for (const Event& e : events) p.Apply(++seq, e, fold_state);
    rows = fold_state.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChunk));
  state.counters["rows_per_chunk"] = static_cast<double>(rows);
}

// state.range(0): the runner's chunk size; state.range(1), when given: chunks per commit while catching up
// (RunnerOptions::catch_up_chunks).
void ReplayView(benchmark::State& state, const std::string& view) {
  LoadedLog& log = SharedLoadedLog();
  EngineOptions options;
  options.runner.chunk_events = static_cast<size_t>(state.range(0));
  if (state.range(1) > 0) options.runner.catch_up_chunks = static_cast<size_t>(state.range(1));
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
        ->Args({4096, 0})
        ->Iterations(2)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("BM_Replay/all", [](benchmark::State& s) { ReplayView(s, "all"); })
      ->Args({1024, 1})
      ->Args({4096, 1})
      ->Args({16384, 1})
      ->Args({65536, 1})
      ->Args({4096, 4})
      ->Args({4096, 8})
      ->Args({4096, 16})
      ->Iterations(2)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace
}  // namespace tally::bench
