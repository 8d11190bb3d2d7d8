// libFuzzer target: one value of the event log, as a damaged or foreign data directory could hold it. Whatever
// the bytes, DecodeStoredEvent must answer an Event or kCorruption without crashing, throwing or reading out of
// bounds, for each form it reads (compact ff fe, packed ff ff, flat). A value that decodes must re-encode to a
// compact value that decodes again to the same bytes when encoded once more (compared as bytes, not Events, so
// that a NaN stored in a double field still counts as equal), and decoding over the previous event (as log reads
// reuse a chunk's slots) must give the same result as decoding into a fresh one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/event_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static tally::Event previous;  // whatever the last input left there
  tally::Status reused = tally::DecodeStoredEvent(bytes, &previous);
  auto decoded = tally::DecodeStoredEvent(bytes);
  if (decoded.ok() != reused.ok()) std::abort();
  if (!decoded.ok()) {
    if (decoded.status().code() != tally::Code::kCorruption) std::abort();
    return 0;
  }
  const std::string compact = tally::EncodeStoredEvent(*decoded);
  if (tally::EncodeStoredEvent(previous) != compact) std::abort();
  auto again = tally::DecodeStoredEvent(compact);
  if (!again.ok() || tally::EncodeStoredEvent(*again) != compact) std::abort();
  return 0;
}
