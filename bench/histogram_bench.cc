// The median and 90th percentile of one day's response-time histogram row (conversation_metrics), as the
// daily_metrics query computes them for each day of its range: DayHistogramRanks.
//   HistogramRanks/<responses> — a row of that many response times, uniform over 1 s – 2 min (the row's cell
//   count is the `cells` counter). items_per_second is rows/s.
//   tally_bench --benchmark_filter=HistogramRanks
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "processors/conversation_metrics_state.h"

namespace tally::bench {
namespace {

void BM_HistogramRanks(benchmark::State& state) {
  const auto responses = static_cast<uint64_t>(state.range(0));
  std::mt19937_64 rng(11);
  std::string row;
  for (uint64_t i = 0; i < responses; ++i) AddToDayHistogram(&row, 1'000 + rng() % 119'000);
  std::vector<HistogramCell> cells;
  DecodeDayHistogram(row, &cells);
  const uint64_t ranks[2] = {(responses + 1) / 2, (9 * responses + 9) / 10};
  uint64_t values[2] = {0, 0};
  for (auto _ : state) {
    DayHistogramRanks(row, ranks, values);
    benchmark::DoNotOptimize(values);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["cells"] = static_cast<double>(cells.size());
}
BENCHMARK(BM_HistogramRanks)->Arg(200)->Arg(2000)->Arg(20000);

}  // namespace
}  // namespace tally::bench
