// libFuzzer target: one JSON event through the strict reader and the validator, exactly as an NDJSON line or an
// array element of POST /v1/events reaches them. Whatever the bytes, the validator must answer (an Event or a
// Rejection with a code) without crashing, leaking or reading out of bounds; an accepted event must survive the
// stored-event round trip and re-validate to the same verdict from its own JSON form. The round trip is also
// decoded over the previous accepted event (as log reads reuse a chunk's slots): it must give the same Event.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/event_codec.h"
#include "core/json_reader.h"
#include "core/validator.h"

namespace {

tally::ValidationContext Context() {
  tally::ValidationContext ctx;
  ctx.now_ms = 1'795'435'200'000;  // 2026-11-20T12:00:00Z: fixed, so a run is repeatable
  ctx.received_at = ctx.now_ms;
  ctx.can_write = [](std::string_view store) { return store != "secret"; };
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const tally::ValidationContext ctx = Context();

  // The reader alone, on any value kind (nested arrays, numbers, strings).
  tally::JsonReader reader;
  tally::JsonValue value;
  (void)reader.ParseValue(text, &value);
  std::vector<tally::JsonMember> members;
  (void)reader.ParseObject(text, &members);

  tally::ValidationResult result = tally::ValidateJsonEvent(text, ctx);
  if (const auto* event = std::get_if<tally::Event>(&result)) {
    const std::string stored = tally::EncodeStoredEvent(*event);
    auto decoded = tally::DecodeStoredEvent(stored);
    if (!decoded.ok()) std::abort();  // an accepted event must be storable and readable back
    static tally::Event previous;     // the last accepted event of this run, decoded over again and again
    if (!tally::DecodeStoredEvent(stored, &previous).ok() || !(previous == *decoded)) std::abort();
    std::string json = tally::EventToJson(*decoded);
    if (!std::holds_alternative<tally::Event>(tally::ValidateJsonEvent(json, ctx))) std::abort();
  } else if (std::get<tally::Rejection>(result).message.empty()) {
    std::abort();  // every rejection names what is wrong
  }
  return 0;
}
