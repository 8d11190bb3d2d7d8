#include "core/event_fields.h"

#include <gtest/gtest.h>

#include <set>

namespace tally {
namespace {

TEST(EventFieldsTest, EveryNameMapsBackToItsField) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kFieldCount; ++i) {
    auto id = static_cast<FieldId>(i);
    EXPECT_EQ(FieldFromName(FieldName(id)), id) << FieldName(id);
    names.insert(FieldName(id));
  }
  EXPECT_EQ(names.size(), kFieldCount);
  for (std::string_view not_a_field : {"", "Event_id", "event_id ", "eventId", "csi", "x", "properties2"}) {
    EXPECT_FALSE(FieldFromName(not_a_field).has_value()) << not_a_field;
  }
}

TEST(EventFieldsTest, EnvelopeIsAllowedForEveryTypeAndTypeFieldsOnlyWhereListed) {
  for (int t = 0; t < kEventTypeCount; ++t) {
    auto type = static_cast<EventType>(t);
    for (FieldId id : EnvelopeFields()) EXPECT_TRUE(IsAllowed(type, id));
    size_t allowed = 0;
    for (size_t i = 0; i < kFieldCount; ++i) allowed += IsAllowed(type, static_cast<FieldId>(i));
    EXPECT_EQ(allowed, EnvelopeFields().size() + RequiredFields(type).size() + OptionalFields(type).size())
        << EventTypeName(type);
  }
  EXPECT_FALSE(IsAllowed(EventType::kConversationStarted, FieldId::kSender));
  EXPECT_TRUE(IsAllowed(EventType::kPassCompleted, FieldId::kConfidence));
  EXPECT_TRUE(IsAllowed(EventType::kKnowledgeRetrieved, FieldId::kConfidence));
  EXPECT_TRUE(RequiredFields(EventType::kStoreConfigured).empty());
  EXPECT_EQ(OptionalFields(EventType::kStoreConfigured).size(), 6u);
}

// Every field belongs to at least one type: nothing in the table is unreachable.
TEST(EventFieldsTest, EveryTypeFieldIsUsedSomewhere) {
  for (size_t i = 0; i < kFieldCount; ++i) {
    bool used = false;
    for (int t = 0; t < kEventTypeCount; ++t) used = used || IsAllowed(static_cast<EventType>(t), FieldId(i));
    EXPECT_TRUE(used) << FieldName(FieldId(i));
  }
}

}  // namespace
}  // namespace tally
