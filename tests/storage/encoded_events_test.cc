// EncodedEvents: each event's dedup key and log value, exactly as the writer used to build them from the Event,
// for events of any size, and unchanged by later additions (the buffer may move, the views are by index).
#include "storage/encoded_events.h"

#include <gtest/gtest.h>

#include "core/event_codec.h"
#include "storage/keys.h"
#include "tests/storage/storage_test_util.h"

namespace tally {
namespace {

using storage_test::MakeEvent;

TEST(EncodedEventsTest, KeysAndValuesMatchTheEventsInOrder) {
  std::vector<Event> events;
  for (int i = 0; i < 300; ++i) {
    Event e = MakeEvent("store-" + std::to_string(i % 7), "id-" + std::to_string(i));
    if (i % 3 == 0) e.properties = std::string(static_cast<size_t>(i) * 11, 'p');  // sizes around the estimate
    events.push_back(std::move(e));
  }
  EncodedEvents encoded;
  encoded.Reserve(2, 16);  // far too small: the buffer has to grow while earlier entries stay readable
  for (const Event& e : events) encoded.Add(e);
  ASSERT_EQ(encoded.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(encoded.dedup_key(i), storage_keys::DedupKey(events[i].store_id, events[i].event_id)) << i;
    EXPECT_EQ(encoded.value(i), EncodeStoredEvent(events[i])) << i;
    Result<Event> decoded = DecodeStoredEvent(encoded.value(i));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, events[i]);
  }
}

TEST(EncodedEventsTest, FromAVectorIsTheSameAsAddingOneByOne) {
  std::vector<Event> events = storage_test::MakeEvents("s", "e", 5);
  EncodedEvents a(events), b;
  for (const Event& e : events) b.Add(e);
  ASSERT_EQ(a.size(), 5u);
  ASSERT_EQ(b.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(a.dedup_key(i), b.dedup_key(i));
    EXPECT_EQ(a.value(i), b.value(i));
  }
  EXPECT_TRUE(EncodedEvents().empty());
  EXPECT_FALSE(a.empty());
}

}  // namespace
}  // namespace tally
