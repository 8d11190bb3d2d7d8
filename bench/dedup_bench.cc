// Dedup on the append path (storage/), batches of 1000 loadgen events under async durability so the fsync does
// not hide it:
//   DedupMiss        — fresh events: in-group table, recent-ids cache miss, one MultiGet (bloom filters answer
//                      "never seen"), then the write of events + dedup entries;
//   DedupHitCached   — a re-sent batch still in the recent-ids cache: no RocksDB read, nothing written;
//   DedupHitStored   — re-sent events long evicted from the cache: the MultiGet finds them;
//   DedupRecentIds*  — the cache alone (hash + slot compare), per key.
// items_per_second is events/s.
//   tally_bench --benchmark_filter=Dedup
#include <benchmark/benchmark.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_workload.h"
#include "storage/recent_ids.h"
#include "storage/storage.h"

namespace tally::bench {
namespace {

constexpr size_t kBatch = 1000;
constexpr size_t kLoaded = 300'000;  // appended once; the first half is long gone from the 64 Ki-slot cache

// One storage shared by the dedup benchmarks (Google Benchmark calls each function several times).
struct DedupFixture {
  ScratchDir dir{"dedup"};
  std::unique_ptr<Storage> storage;
  std::vector<Event> loaded;
  uint64_t fresh = 0;

  DedupFixture() {
    StorageOptions options;
    options.path = dir.path();
    options.durability = Durability::kAsync;
    storage = std::move(Storage::Open(options)).value();
    loaded = WorkloadEvents(kLoaded);
    for (size_t i = 0; i < kLoaded; i += kBatch) {
      storage->AppendAndWait(std::vector<Event>(loaded.begin() + i, loaded.begin() + i + kBatch));
    }
  }
  ~DedupFixture() { (void)storage->Close(); }

  static DedupFixture& Get() {
    static DedupFixture fixture;
    return fixture;
  }
};

void AppendBatches(benchmark::State& state, const std::function<std::vector<Event>(uint64_t)>& make_batch) {
  DedupFixture& f = DedupFixture::Get();
  uint64_t duplicates = 0;
  uint64_t k = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Event> batch = make_batch(k++);
    state.ResumeTiming();
    AppendResult r = f.storage->AppendAndWait(std::move(batch));
    if (!r.status.ok()) state.SkipWithError(r.status.ToString().c_str());
    for (const EventOutcome& o : r.outcomes) duplicates += o.duplicate ? 1 : 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.counters["dup_share"] = static_cast<double>(duplicates) / static_cast<double>(state.iterations() * kBatch);
}

void BM_DedupMiss(benchmark::State& state) {
  DedupFixture& f = DedupFixture::Get();
  AppendBatches(state, [&f](uint64_t k) {
    std::vector<Event> batch(f.loaded.begin() + static_cast<long>((k % 10) * kBatch),
                             f.loaded.begin() + static_cast<long>((k % 10 + 1) * kBatch));
    for (Event& e : batch) e.event_id = "fresh-" + std::to_string(f.fresh++);
    return batch;
  });
}

void BM_DedupHitCached(benchmark::State& state) {
  DedupFixture& f = DedupFixture::Get();
  AppendBatches(state, [&f](uint64_t) { return std::vector<Event>(f.loaded.end() - kBatch, f.loaded.end()); });
}

void BM_DedupHitStored(benchmark::State& state) {
  DedupFixture& f = DedupFixture::Get();
  AppendBatches(state, [&f](uint64_t k) {
    size_t first = (k * kBatch) % (kLoaded / 2);
    return std::vector<Event>(f.loaded.begin() + static_cast<long>(first),
                              f.loaded.begin() + static_cast<long>(first + kBatch));
  });
}

std::vector<std::string> DedupKeys(size_t n, const std::string& prefix) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i) keys.push_back("store-00042" + std::string(1, '\0') + prefix + std::to_string(i));
  return keys;
}

void RecentIdsLookups(benchmark::State& state, bool hit) {
  RecentIds cache(1 << 16);
  std::vector<std::string> stored = DedupKeys(1 << 15, "lg7-0-");
  for (size_t i = 0; i < stored.size(); ++i) cache.Insert(stored[i], std::hash<std::string_view>()(stored[i]), i + 1);
  std::vector<std::string> probes = hit ? stored : DedupKeys(1 << 15, "lg8-0-");
  for (auto _ : state) {
    size_t found = 0;
    for (const std::string& key : probes) found += cache.Find(key, std::hash<std::string_view>()(key)) ? 1 : 0;
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * probes.size()));
}

void BM_DedupRecentIdsHit(benchmark::State& state) { RecentIdsLookups(state, true); }
void BM_DedupRecentIdsMiss(benchmark::State& state) { RecentIdsLookups(state, false); }

BENCHMARK(BM_DedupMiss)->MinTime(0.3)->UseRealTime();
BENCHMARK(BM_DedupHitCached)->MinTime(0.3)->UseRealTime();
BENCHMARK(BM_DedupHitStored)->MinTime(0.3)->UseRealTime();
BENCHMARK(BM_DedupRecentIdsHit)->MinTime(0.1);
BENCHMARK(BM_DedupRecentIdsMiss)->MinTime(0.1);

}  // namespace
}  // namespace tally::bench
