// Cap'n Proto stream framing, read by hand so that limits are enforced before any allocation.
//
// A frame is: a segment table of (4 + 4·N) bytes padded to a multiple of 8 — a little-endian uint32 holding
// N − 1, then N little-endian uint32 segment sizes in 8-byte words — followed by the N segments. This is
// exactly what capnp::writeMessage writes. The reader learns the frame's size from the table alone, checks it
// against the connection's limit, and only then allocates and reads the body.
#pragma once

#include <capnp/message.h>
#include <kj/array.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace tally::net {

// More segments than this is not something a sane writer produces (capnp's own writer uses a handful).
constexpr uint32_t kMaxFrameSegments = 512;

// Error codes sent in wire Error messages for connection-level failures.
namespace tcp_error {
inline constexpr const char* kBadFrame = "bad_frame";
inline constexpr const char* kFrameTooLarge = "frame_too_large";
inline constexpr const char* kTooManyEvents = "too_many_events";
inline constexpr const char* kTooManyConnections = "too_many_connections";
inline constexpr const char* kIdleTimeout = "idle_timeout";
inline constexpr const char* kHandshakeTimeout = "handshake_timeout";
inline constexpr const char* kBadBatchSeq = "bad_batch_seq";
inline constexpr const char* kBadSentAt = "bad_sent_at";
inline constexpr const char* kExpectedHello = "expected_hello";
inline constexpr const char* kUnexpectedHello = "unexpected_hello";
inline constexpr const char* kUnsupportedProtocol = "unsupported_protocol";
inline constexpr const char* kUnauthorized = "unauthorized";
inline constexpr const char* kForbidden = "forbidden";
inline constexpr const char* kUnavailable = "unavailable";
inline constexpr const char* kInternal = "internal";
}  // namespace tcp_error

// The wire protocol version this server speaks.
constexpr uint32_t kProtocolVersion = 1;

struct FrameLayout {
  uint32_t segments = 0;
  size_t table_words = 0;  // words of the segment table, padding included
  size_t total_words = 0;  // table + segments
};

// From the frame's first 8 bytes: how many segments and how many table words. kMalformed ("bad_frame") when
// the segment count is beyond kMaxFrameSegments.
Result<FrameLayout> ParseFrameStart(const capnp::word* first_word);
// With the whole table read (layout.table_words words at `table`): fills total_words and checks it against
// max_frame_bytes (kTooLarge → "frame_too_large").
Status ParseFrameTable(const capnp::word* table, size_t max_frame_bytes, FrameLayout* layout);

// Reader limits for a frame of `words` words: the traversal limit is proportional to the frame (bounds the work
// a hostile message with shared pointers can cause) and nesting is shallow (the schema is flat).
capnp::ReaderOptions FrameReaderOptions(size_t words);

// Serializes a message into one frame.
kj::Array<capnp::word> EncodeFrame(capnp::MessageBuilder& message);

// A vector allocator whose resize() leaves new elements uninitialized: a frame's words are read from the socket
// straight after, so zeroing them first (as std::vector<capnp::word> does, ~500 KB per 1 000-event batch) is
// wasted work.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) {}  // NOLINT: allocators convert implicitly
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// The buffer a connection reads each frame into.
using FrameWords = std::vector<capnp::word, UninitializedAllocator<capnp::word>>;

}  // namespace tally::net
