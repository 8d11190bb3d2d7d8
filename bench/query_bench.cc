// View queries through the query API (the function behind each HTTP route, without HTTP), on the busiest
// store of the shared log (bench_workload.h: 50 000 loadgen events over 30 days and 100 stores). Ranges are
// the last 30 days. items_per_second is queries/s on one thread.
//   tally_bench --benchmark_filter=Query
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_workload.h"
#include "processors/query.h"

namespace tally::bench {
namespace {

constexpr const char* kStore = "store-00000";  // the workload's skew makes the first store the busiest

struct QueryCase {
  std::string route;
  std::map<std::string, std::string, std::less<>> params;
};

std::vector<QueryCase> Cases() {
  LoadedLog& log = SharedLoadedLog();
  std::string conversation, file;
  for (const Event& e : log.events) {
    if (e.store_id != kStore) continue;
    if (conversation.empty() && e.type == EventType::kConversationStarted) conversation = *e.conversation_id;
    if (file.empty() && e.type == EventType::kPassCompleted) file = *e.shell_file_id;
  }
  DayNum to = DayOf(WorkloadEndMs());
  std::string from_s = FormatDate(to - 29), to_s = FormatDate(to);
  return {
      {"daily_metrics", {{"from", from_s}, {"to", to_s}}},
      {"metrics", {{"period", "month"}, {"date", to_s}}},
      {"trends", {{"from", from_s}, {"to", to_s}, {"granularity", "day"}}},
      {"roi", {{"period_days", "30"}, {"to", to_s}}},
      {"export", {{"from", from_s}, {"to", to_s}, {"format", "csv"}}},
      {"quality", {{"from", from_s}, {"to", to_s}}},
      {"conversation", {{"conversation_id", conversation}}},
      {"content_gaps", {}},
      {"files", {}},
      {"file", {{"shell_file_id", file}}},
      {"usage_daily", {{"from", from_s}, {"to", to_s}}},
      {"usage_monthly", {{"month", FormatMonth(to)}}},
  };
}

void RunRoute(benchmark::State& state, const QueryCase& c) {
  LoadedLog& log = SharedLoadedLog();
  auto engine = std::move(ViewEngine::Open(log.storage.get())).value();
  QueryArgs args;
  args.store = kStore;
  args.params = c.params;
  args.now_ms = WorkloadEndMs();
  size_t bytes = 0;
  for (auto _ : state) {
    Result<std::string> body = RunQuery(*engine, c.route, args);
    if (!body.ok()) {
      state.SkipWithError(body.status().ToString().c_str());
      break;
    }
    bytes = body->size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["body_bytes"] = static_cast<double>(bytes);
}

// The routes are registered at start-up; their parameters need the shared log, so they are resolved on the
// first run (the log is only built when a benchmark that needs it runs).
const bool kRegistered = [] {
  for (const char* route : {"daily_metrics", "metrics", "trends", "roi", "export", "quality", "conversation",
                            "content_gaps", "files", "file", "usage_daily", "usage_monthly"}) {
    std::string name = route;
    benchmark::RegisterBenchmark(("BM_Query/" + name).c_str(), [name](benchmark::State& s) {
      static const std::vector<QueryCase> cases = Cases();
      for (const QueryCase& c : cases) {
        if (c.route == name) RunRoute(s, c);
      }
    })->MinTime(0.2);
  }
  return true;
}();

}  // namespace
}  // namespace tally::bench
