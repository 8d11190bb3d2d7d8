// Per-event cost of the core hot paths: validating a JSON or a Cap'n Proto event, and encoding / decoding the
// stored form. Run: tally_bench --benchmark_filter=Core
#include <benchmark/benchmark.h>

#include <capnp/message.h>

#include "core/event_codec.h"
#include "core/validator.h"
#include "core/wire_event.h"

namespace tally {
namespace {

constexpr std::string_view kMessageSent =
    R"({"event_id":"evt-000123456","type":"message_sent","store_id":"store-42",)"
    R"("occurred_at":"2026-11-20T10:00:00.123Z","conversation_id":"conv-99887766","sender":"customer",)"
    R"("text":"Hello, I would like to know where my order is, it has been a week.","agent_id":"agent-7",)"
    R"("properties":{"locale":"en-US","channel":"web"}})";

ValidationContext BenchContext() {
  ValidationContext ctx;
  ctx.now_ms = *ParseRfc3339("2026-11-20T12:00:00Z");
  ctx.received_at = ctx.now_ms;
  ctx.can_write = [](std::string_view store) { return store == "store-42"; };
  return ctx;
}

void BM_CoreValidateJson(benchmark::State& state) {
  ValidationContext ctx = BenchContext();
  for (auto _ : state) benchmark::DoNotOptimize(ValidateJsonEvent(kMessageSent, ctx));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kMessageSent.size()));
}
BENCHMARK(BM_CoreValidateJson);

void BM_CoreValidateWire(benchmark::State& state) {
  ValidationContext ctx = BenchContext();
  capnp::MallocMessageBuilder message;
  auto builder = message.initRoot<wire::Event>();
  if (!JsonToWireEvent(kMessageSent, builder).ok()) state.SkipWithError("conversion failed");
  auto reader = builder.asReader();
  for (auto _ : state) benchmark::DoNotOptimize(ValidateWireEvent(reader, ctx));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoreValidateWire);

Event BenchEvent() { return std::get<Event>(ValidateJsonEvent(kMessageSent, BenchContext())); }

void BM_CoreEncodeStored(benchmark::State& state) {
  Event event = BenchEvent();
  for (auto _ : state) benchmark::DoNotOptimize(EncodeStoredEvent(event));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoreEncodeStored);

void BM_CoreDecodeStored(benchmark::State& state) {
  std::string bytes = EncodeStoredEvent(BenchEvent());
  for (auto _ : state) benchmark::DoNotOptimize(DecodeStoredEvent(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoreDecodeStored);

void BM_CoreWriteEventJson(benchmark::State& state) {
  Event event = BenchEvent();
  std::string out;
  for (auto _ : state) {
    out.clear();
    JsonWriter writer(&out);
    WriteEventJson(event, &writer);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoreWriteEventJson);

}  // namespace
}  // namespace tally
