// Storage append throughput: one producer thread appending batches through the group-commit writer, under
// sync (one WAL fsync per group) and async durability. items_per_second is events/s.
//   tally_bench --benchmark_filter=StorageAppend
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace tally {
namespace {

Event BenchEvent(uint64_t i) {
  Event e;
  e.event_id = "evt-" + std::to_string(i) + "-0123456789";
  e.type = EventType::kMessageSent;
  e.store_id = "store-" + std::to_string(i % 16);
  e.occurred_at_ms = 1'780'000'000'000 + static_cast<int64_t>(i);
  e.conversation_id = "conv-" + std::to_string(i / 8);
  e.sender = Sender::kCustomer;
  e.text = "hello, I have a question about my order";
  return e;
}

void RunAppend(benchmark::State& state, Durability durability) {
  const std::string path = std::filesystem::temp_directory_path() / ("tally-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(path);
  StorageOptions options;
  options.path = path;
  options.durability = durability;
  auto storage = std::move(Storage::Open(options)).value();
  const size_t batch = static_cast<size_t>(state.range(0));
  uint64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Event> events;
    events.reserve(batch);
    for (size_t i = 0; i < batch; ++i) events.push_back(BenchEvent(next++));
    state.ResumeTiming();
    AppendResult r = storage->AppendAndWait(std::move(events));
    if (!r.status.ok()) state.SkipWithError(r.status.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(next));
  state.counters["fsyncs"] = static_cast<double>(storage->Stats().fsyncs);
  storage.reset();
  std::filesystem::remove_all(path);
}

void BM_StorageAppendSync(benchmark::State& state) { RunAppend(state, Durability::kSync); }
void BM_StorageAppendAsync(benchmark::State& state) { RunAppend(state, Durability::kAsync); }

// Batch sizes 1 to 4096 events (1000: the db_bench comparison in bench/compare.sh).
BENCHMARK(BM_StorageAppendSync)->Arg(1)->Arg(16)->Arg(256)->Arg(1000)->Arg(4096)->UseRealTime()->MinTime(0.3);
BENCHMARK(BM_StorageAppendAsync)->Arg(1)->Arg(16)->Arg(256)->Arg(1000)->Arg(4096)->UseRealTime()->MinTime(0.3);

}  // namespace
}  // namespace tally
