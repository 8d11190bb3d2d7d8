// Cap'n Proto encode/decode on the hot paths, over the loadgen event mix:
//   StoredEvent  — the log's value format (/0 packed, format 2; /1 flat, format 1 directories): encoded once per
//                  appended event, decoded once per event per replay or live fold chunk;
//   WireBatch    — a producer's Batch of 1000 events: what loadgen/push build and the server's frame reader parses.
// items_per_second is events/s on one thread.
//   tally_bench --benchmark_filter=Codec
#include <benchmark/benchmark.h>
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <string>
#include <vector>

#include "bench/bench_workload.h"
#include "core/event_codec.h"

namespace tally::bench {
namespace {

constexpr size_t kEvents = 4096;
constexpr size_t kBatch = 1000;

// Arg 0: the compact log value of format 3 (EncodeStoredEvent); 1: the packed value of format 2 directories;
// 2: the flat value of format 1 directories.
std::string Encode(const Event& e, int64_t form) {
  return form == 0 ? EncodeStoredEvent(e) : form == 1 ? EncodeStoredEventPacked(e) : EncodeStoredEventFlat(e);
}

void BM_CodecStoredEncode(benchmark::State& state) {
  std::vector<Event> events = WorkloadEvents(kEvents);
  size_t bytes = 0;
  for (auto _ : state) {
    for (const Event& e : events) {
      std::string value = Encode(e, state.range(0));
      bytes += value.size();
      benchmark::DoNotOptimize(value);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.counters["bytes_per_event"] = static_cast<double>(bytes) / static_cast<double>(state.iterations() * kEvents);
}

// Decodes into one reused Event, as the log readers do.
void BM_CodecStoredDecode(benchmark::State& state) {
  std::vector<std::string> values;
  for (const Event& e : WorkloadEvents(kEvents)) values.push_back(Encode(e, state.range(0)));
  Event event;
  for (auto _ : state) {
    for (const std::string& v : values) {
      if (!DecodeStoredEvent(v, &event).ok()) state.SkipWithError("decode failed");
      benchmark::DoNotOptimize(event);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}

kj::Array<capnp::word> EncodeBatch(const std::vector<Event>& events, uint64_t seq) {
  capnp::MallocMessageBuilder message(static_cast<unsigned>(events.size() * 48 + 64));
  auto batch = message.initRoot<wire::ClientMessage>().initBatch();
  batch.setBatchSeq(seq);
  auto list = batch.initEvents(static_cast<unsigned>(events.size()));
  for (size_t i = 0; i < events.size(); ++i) EventToWire(events[i], list[static_cast<unsigned>(i)]);
  return capnp::messageToFlatArray(message);
}

void BM_CodecWireBatchEncode(benchmark::State& state) {
  std::vector<Event> events = WorkloadEvents(kBatch);
  uint64_t seq = 0;
  for (auto _ : state) {
    auto words = EncodeBatch(events, ++seq);
    benchmark::DoNotOptimize(words.begin());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

// Reads every text field of every event of a framed batch, as validation would touch them.
void BM_CodecWireBatchDecode(benchmark::State& state) {
  auto words = EncodeBatch(WorkloadEvents(kBatch), 1);
  for (auto _ : state) {
    capnp::FlatArrayMessageReader reader(words.asPtr());
    size_t touched = 0;
    for (auto e : reader.getRoot<wire::ClientMessage>().getBatch().getEvents()) {
      touched += e.getEventId().size() + e.getStoreId().size() + e.getType().size() + e.getOccurredAt().size();
      if (e.hasConversationId()) touched += e.getConversationId().size();
      if (e.hasText()) touched += e.getText().size();
    }
    benchmark::DoNotOptimize(touched);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

BENCHMARK(BM_CodecStoredEncode)->Arg(0)->Arg(1)->Arg(2)->MinTime(0.2);
BENCHMARK(BM_CodecStoredDecode)->Arg(0)->Arg(1)->Arg(2)->MinTime(0.2);
BENCHMARK(BM_CodecWireBatchEncode)->MinTime(0.2);
BENCHMARK(BM_CodecWireBatchDecode)->MinTime(0.2);

}  // namespace
}  // namespace tally::bench
