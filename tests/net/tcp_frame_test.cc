// The hand-read segment table: sizes agree with capnp's own framing, limits apply before allocation.
#include "net/tcp_frame.h"

#include <cstring>

#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include "core/tally.capnp.h"

namespace tally::net {
namespace {

// A message spread over several segments (tiny first segment, so capnp allocates more).
kj::Array<capnp::word> MultiSegmentFrame(uint32_t* segments) {
  capnp::MallocMessageBuilder message(1, capnp::AllocationStrategy::FIXED_SIZE);
  auto batch = message.initRoot<wire::ClientMessage>().initBatch();
  batch.setBatchSeq(7);
  auto events = batch.initEvents(3);
  for (unsigned i = 0; i < 3; ++i) events[i].setEventId(std::string(40, static_cast<char>('a' + i)));
  *segments = static_cast<uint32_t>(message.getSegmentsForOutput().size());
  return EncodeFrame(message);
}

TEST(TcpFrame, LayoutMatchesCapnpFraming) {
  uint32_t segments = 0;
  kj::Array<capnp::word> frame = MultiSegmentFrame(&segments);
  ASSERT_GT(segments, 1u);
  auto layout = ParseFrameStart(frame.begin());
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->segments, segments);
  EXPECT_EQ(layout->table_words, segments / 2 + 1);
  ASSERT_TRUE(ParseFrameTable(frame.begin(), 1 << 20, &*layout).ok());
  EXPECT_EQ(layout->total_words, frame.size());

  capnp::FlatArrayMessageReader reader(frame, FrameReaderOptions(frame.size()));
  EXPECT_EQ(reader.getRoot<wire::ClientMessage>().getBatch().getBatchSeq(), 7u);
}

TEST(TcpFrame, LimitsApplyFromTheTable) {
  uint32_t segments = 0;
  kj::Array<capnp::word> frame = MultiSegmentFrame(&segments);
  auto layout = ParseFrameStart(frame.begin());
  ASSERT_TRUE(layout.ok());
  Status too_large = ParseFrameTable(frame.begin(), frame.size() * sizeof(capnp::word) - 8, &*layout);
  EXPECT_EQ(too_large.code(), Code::kTooLarge);

  // "GET " read as a segment count is far beyond any real frame.
  capnp::word http;
  std::memcpy(&http, "GET / HT", 8);
  auto garbage = ParseFrameStart(&http);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), Code::kMalformed);

  // Four segments of 2^32-1 words each: the sum does not overflow into something small.
  std::vector<capnp::word> table(3);
  uint32_t words[6] = {3, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0};
  std::memcpy(table.data(), words, sizeof words);
  auto huge = ParseFrameStart(table.data());
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->table_words, 3u);
  EXPECT_EQ(ParseFrameTable(table.data(), 16 << 20, &*huge).code(), Code::kTooLarge);
}

}  // namespace
}  // namespace tally::net
