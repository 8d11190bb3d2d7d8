// libFuzzer target: bytes as they arrive on a TCP connection, cut into Cap'n Proto frames by the same limit
// checks the connection runs before allocating (net/tcp_frame.h), each frame decoded with the connection's
// reader options and dispatched as the server would: Hello fields read, every Batch event validated. Hostile
// pointers, far segments, deep nesting and amplification must end in a kj exception or a rejection — never a
// crash or an unbounded allocation.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <variant>

#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include "core/tally.capnp.h"
#include "core/wire_event.h"
#include "net/tcp_frame.h"

namespace {

constexpr size_t kMaxFrameBytes = 1 << 20;  // small, so the fuzzer explores the limit rather than memory

tally::ValidationContext Context() {
  tally::ValidationContext ctx;
  ctx.now_ms = 1'795'435'200'000;
  ctx.received_at = ctx.now_ms;
  return ctx;
}

void Dispatch(kj::ArrayPtr<const capnp::word> frame) {
  static const tally::ValidationContext ctx = Context();
  try {
    capnp::FlatArrayMessageReader reader(frame,
                                         tally::net::FrameReaderOptions(frame.size()));
    auto message = reader.getRoot<tally::wire::ClientMessage>();
    if (message.isHello()) {
      auto hello = message.getHello();
      (void)hello.getProtocolVersion();
      if (hello.hasToken()) (void)std::string_view(hello.getToken().cStr());
      if (hello.hasProducerId()) (void)std::string_view(hello.getProducerId().cStr());
    } else if (message.isBatch()) {
      auto batch = message.getBatch();
      if (batch.hasSentAt()) (void)std::string_view(batch.getSentAt().cStr());
      for (auto event : batch.getEvents()) {
        tally::ValidationResult result = tally::ValidateWireEvent(event, ctx);
        // The server quarantines a rejected wire event in capnp's text form: that must work on anything too.
        if (std::holds_alternative<tally::Rejection>(result)) (void)event.toString().flatten();
      }
    }
  } catch (const kj::Exception&) {
    // Undecodable: the connection answers bad_frame and closes.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Words are copied into word-aligned arrays, as the connection reads them into its frame buffer.
  size_t pos = 0;
  while (size - pos >= sizeof(capnp::word)) {
    auto first = kj::heapArray<capnp::word>(1);
    std::memcpy(first.begin(), data + pos, sizeof(capnp::word));
    auto layout = tally::net::ParseFrameStart(first.begin());
    if (!layout.ok()) return 0;
    const size_t table_bytes = layout->table_words * sizeof(capnp::word);
    if (size - pos < table_bytes) return 0;
    auto table = kj::heapArray<capnp::word>(layout->table_words);
    std::memcpy(table.begin(), data + pos, table_bytes);
    if (!tally::net::ParseFrameTable(table.begin(), kMaxFrameBytes, &*layout).ok()) return 0;
    const size_t total_bytes = layout->total_words * sizeof(capnp::word);
    if (total_bytes > kMaxFrameBytes + table_bytes) std::abort();  // the limit check let too much through
    if (size - pos < total_bytes) return 0;                          // the connection would wait for more
    auto frame = kj::heapArray<capnp::word>(layout->total_words);
    std::memcpy(frame.begin(), data + pos, total_bytes);
    pos += total_bytes;
    Dispatch(frame.asPtr());
  }
  return 0;
}
