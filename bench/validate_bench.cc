// Validation of incoming events, the first thing every ingest path does, over the loadgen event mix:
// JSON (HTTP / import) and Cap'n Proto wire events (TCP). items_per_second is events/s on one thread.
//   tally_bench --benchmark_filter=Validate
#include <benchmark/benchmark.h>

#include <capnp/message.h>

#include <string>
#include <variant>
#include <vector>

#include "bench/bench_workload.h"
#include "core/event_codec.h"
#include "core/validator.h"
#include "core/wire_event.h"

namespace tally::bench {
namespace {

constexpr size_t kEvents = 4096;

ValidationContext Context() {
  ValidationContext ctx;
  ctx.now_ms = WorkloadEndMs();
  ctx.received_at = ctx.now_ms;
  return ctx;
}

void BM_ValidateJson(benchmark::State& state) {
  std::vector<std::string> lines;
  for (const Event& e : WorkloadEvents(kEvents)) lines.push_back(EventToJson(e));
  const ValidationContext ctx = Context();
  size_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& line : lines) {
      ValidationResult r = ValidateJsonEvent(line, ctx);
      if (!std::holds_alternative<Event>(r)) state.SkipWithError("a workload event was rejected");
      bytes += line.size();
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_ValidateWire(benchmark::State& state) {
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<wire::Batch>().initEvents(kEvents);
  std::vector<Event> events = WorkloadEvents(kEvents);
  for (size_t i = 0; i < events.size(); ++i) EventToWire(events[i], list[static_cast<unsigned>(i)]);
  auto reader = list.asReader();
  const ValidationContext ctx = Context();
  for (auto _ : state) {
    for (auto wire_event : reader) {
      ValidationResult r = ValidateWireEvent(wire_event, ctx);
      if (!std::holds_alternative<Event>(r)) state.SkipWithError("a workload event was rejected");
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}

BENCHMARK(BM_ValidateJson)->MinTime(0.2);
BENCHMARK(BM_ValidateWire)->MinTime(0.2);

}  // namespace
}  // namespace tally::bench
