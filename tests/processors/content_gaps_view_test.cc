#include "processors/content_gaps_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/processors/view_test_util.h"

namespace tally {
namespace {

using ::testing::HasSubstr;
using testing::MakeEvent;
using testing::MemoryViewState;
using testing::NumberAfter;
using testing::ValueAfter;

constexpr std::string_view kStore = "s1";

Event Retrieved(std::string_view topic, std::string_view query, double confidence, std::string_view when) {
  Event e = MakeEvent(EventType::kKnowledgeRetrieved, kStore, when);
  e.conversation_id = "c1";
  e.topic = std::string(topic);
  e.query = std::string(query);
  e.confidence = confidence;
  return e;
}

Event StatusChange(std::string_view topic, GapStatus status) {
  Event e = MakeEvent(EventType::kContentGapStatusChanged, kStore, "2026-11-20T12:00:00Z");
  e.topic = std::string(topic);
  e.status = status;
  return e;
}

Event Threshold(double threshold) {
  Event e = MakeEvent(EventType::kStoreConfigured, kStore, "2026-11-20T12:00:00Z");
  e.gap_confidence_threshold = threshold;
  return e;
}

class ContentGapsViewTest : public ::testing::Test {
 protected:
  std::string Gaps(std::optional<GapStatus> status = std::nullopt, size_t limit = 100,
                   std::optional<std::string_view> cursor = std::nullopt) {
    Result<std::string> r = ContentGapsJson(state_.Reader(), kStore, status, limit, cursor);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : "";
  }

  ContentGapsProcessor processor_;
  MemoryViewState state_;
};

TEST(TopicTest, NormalisesAsciiCaseAndWhiteSpaceOnly) {
  EXPECT_EQ(NormaliseTopic("  Billing \t\n Refunds  "), "billing refunds");
  EXPECT_EQ(CollapseTopic("  Billing \t\n Refunds  "), "Billing Refunds");
  EXPECT_EQ(NormaliseTopic("ÉTÉ Plan"), "ÉtÉ plan");  // non-ASCII bytes untouched
  EXPECT_EQ(NormaliseTopic(" \t "), "");
}

TEST_F(ContentGapsViewTest, HitsBelowTheDefaultThresholdOnly) {
  state_.Fold(processor_, {Retrieved("billing", "q1", 0.5, "2026-11-20T10:00:00Z"),
                           Retrieved("billing", "q2", 0.2, "2026-11-20T10:01:00Z"),
                           Retrieved("billing", "q3", 0.4, "2026-11-20T10:02:00Z")});
  std::string json = Gaps();
  EXPECT_EQ(NumberAfter(json, "frequency"), 2);
  EXPECT_EQ(NumberAfter(json, "avg_confidence"), 0.3);
  EXPECT_EQ(ValueAfter(json, "first_seen_at"), "\"2026-11-20T10:01:00.000Z\"");
  EXPECT_EQ(ValueAfter(json, "last_seen_at"), "\"2026-11-20T10:02:00.000Z\"");
  EXPECT_THAT(json, HasSubstr("\"example_questions\":[\"q2\",\"q3\"]"));
  EXPECT_EQ(ValueAfter(json, "status"), "\"identified\"");
  EXPECT_EQ(ValueAfter(json, "next_cursor"), "null");
}

TEST_F(ContentGapsViewTest, ThresholdAppliesFromItsLogPositionOn) {
  state_.Fold(processor_, {Retrieved("a", "q", 0.6, "2026-11-20T10:00:00Z"), Threshold(0.7),
                           Retrieved("a", "q", 0.6, "2026-11-20T10:01:00Z"), Threshold(0.1),
                           Retrieved("a", "q", 0.6, "2026-11-20T10:02:00Z")});
  std::string json = Gaps();
  EXPECT_EQ(NumberAfter(json, "frequency"), 1);
  EXPECT_EQ(ValueAfter(json, "first_seen_at"), "\"2026-11-20T10:01:00.000Z\"");
  EXPECT_EQ(ValueAfter(json, "last_seen_at"), "\"2026-11-20T10:01:00.000Z\"");
}

TEST_F(ContentGapsViewTest, SpellingsShareOneTopicShownAsTheFirstHit) {
  state_.Fold(processor_, {Retrieved("  Reset   Password ", "how?", 0.1, "2026-11-20T10:00:00Z"),
                           Retrieved("reset password", "how?", 0.1, "2026-11-20T10:01:00Z"),
                           Retrieved("RESET\tPASSWORD", "How?", 0.1, "2026-11-20T10:02:00Z")});
  std::string json = Gaps();
  EXPECT_EQ(ValueAfter(json, "topic"), "\"Reset Password\"");
  EXPECT_EQ(NumberAfter(json, "frequency"), 3);
  EXPECT_THAT(json, HasSubstr("\"example_questions\":[\"how?\",\"How?\"]"));
}

TEST_F(ContentGapsViewTest, FirstFiveDistinctQuestions) {
  for (const char* q : {"a", "b", "a", "c", "d", "e", "f"}) {
    state_.Fold(processor_, {Retrieved("t", q, 0.1, "2026-11-20T10:00:00Z")});
  }
  EXPECT_THAT(Gaps(), HasSubstr("\"example_questions\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"));
}

TEST_F(ContentGapsViewTest, ResolvedTopicHitAgainIsIdentifiedInProgressStays) {
  state_.Fold(processor_,
              {Retrieved("x", "q", 0.1, "2026-11-20T10:00:00Z"), StatusChange("X", GapStatus::kResolved),
               Retrieved("y", "q", 0.1, "2026-11-20T10:00:00Z"), StatusChange("y", GapStatus::kInProgress)});
  EXPECT_THAT(Gaps(GapStatus::kResolved), HasSubstr("\"topic\":\"x\""));
  state_.Fold(processor_,
              {Retrieved("x", "q", 0.1, "2026-11-20T11:00:00Z"), Retrieved("y", "q", 0.1, "2026-11-20T11:00:00Z")});
  std::string json = Gaps();
  EXPECT_THAT(json, HasSubstr("\"status\":\"identified\"}"));
  EXPECT_THAT(Gaps(GapStatus::kIdentified), HasSubstr("\"topic\":\"x\""));
  EXPECT_THAT(Gaps(GapStatus::kInProgress), HasSubstr("\"topic\":\"y\""));
  EXPECT_EQ(ValueAfter(Gaps(GapStatus::kResolved), "gaps"), "[");
}

TEST_F(ContentGapsViewTest, StatusChangeBeforeAnyHitIsHiddenThenOverriddenByTheFirstHit) {
  state_.Fold(processor_, {StatusChange("z", GapStatus::kResolved)});
  EXPECT_THAT(Gaps(), HasSubstr("\"gaps\":[]"));
  state_.Fold(processor_, {Retrieved("z", "q", 0.1, "2026-11-20T10:00:00Z")});
  EXPECT_EQ(ValueAfter(Gaps(), "status"), "\"identified\"");
}

TEST_F(ContentGapsViewTest, SortedByFrequencyThenTopicAndPagedWithCursors) {
  state_.Fold(processor_,
              {Retrieved("b", "q", 0.1, "2026-11-20T10:00:00Z"), Retrieved("a", "q", 0.1, "2026-11-20T10:00:00Z"),
               Retrieved("c", "q", 0.1, "2026-11-20T10:00:00Z"), Retrieved("c", "q", 0.1, "2026-11-20T10:00:00Z"),
               Retrieved("d", "q", 0.1, "2026-11-20T10:00:00Z")});
  std::string first = Gaps(std::nullopt, 2);
  EXPECT_EQ(ValueAfter(first, "topic", 0), "\"c\"");
  EXPECT_EQ(ValueAfter(first, "topic", 1), "\"a\"");
  std::string cursor = ValueAfter(first, "next_cursor");
  ASSERT_GT(cursor.size(), 2u);
  cursor = cursor.substr(1, cursor.size() - 2);
  std::string second = Gaps(std::nullopt, 2, cursor);
  EXPECT_EQ(ValueAfter(second, "topic", 0), "\"b\"");
  EXPECT_EQ(ValueAfter(second, "topic", 1), "\"d\"");
  EXPECT_EQ(ValueAfter(second, "next_cursor"), "null");  // exactly two left: this is the last page
  EXPECT_EQ(ContentGapsJson(state_.Reader(), kStore, std::nullopt, 2, "zz").status().code(), Code::kBadParameter);
}

TEST_F(ContentGapsViewTest, UnknownStoreIsEmpty) {
  Result<std::string> r = ContentGapsJson(state_.Reader(), "never", std::nullopt, 100, std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "{\"as_of_seq\":0,\"gaps\":[],\"next_cursor\":null}");
}

}  // namespace
}  // namespace tally
