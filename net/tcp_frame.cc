#include "net/tcp_frame.h"

#include <cstring>

#include <capnp/serialize.h>

namespace tally::net {
namespace {

uint32_t LoadLe32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

Result<FrameLayout> ParseFrameStart(const capnp::word* first_word) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(first_word);
  uint64_t segments = static_cast<uint64_t>(LoadLe32(bytes)) + 1;
  if (segments > kMaxFrameSegments) {
    return Status(Code::kMalformed, "frame declares " + std::to_string(segments) +
                                        " segments; not a Cap'n Proto stream frame");
  }
  FrameLayout layout;
  layout.segments = static_cast<uint32_t>(segments);
  layout.table_words = segments / 2 + 1;
  return layout;
}

Status ParseFrameTable(const capnp::word* table, size_t max_frame_bytes, FrameLayout* layout) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(table);
  uint64_t words = layout->table_words;
  for (uint32_t i = 0; i < layout->segments; ++i) words += LoadLe32(bytes + 4 + 4 * i);
  if (words * sizeof(capnp::word) > max_frame_bytes) {
    return Status(Code::kTooLarge, "frame of " + std::to_string(words * sizeof(capnp::word)) +
                                       " bytes exceeds the limit of " + std::to_string(max_frame_bytes));
  }
  layout->total_words = static_cast<size_t>(words);
  return Status::Ok();
}

capnp::ReaderOptions FrameReaderOptions(size_t words) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = static_cast<uint64_t>(words) * 4 + 1024;
  options.nestingLimit = 16;
  return options;
}

kj::Array<capnp::word> EncodeFrame(capnp::MessageBuilder& message) { return capnp::messageToFlatArray(message); }

}  // namespace tally::net
