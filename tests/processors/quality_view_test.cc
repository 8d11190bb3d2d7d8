#include "processors/quality_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "processors/conversation_view.h"
#include "processors/quality_state.h"
#include "tests/processors/view_test_util.h"

namespace tally {
namespace {

using ::testing::HasSubstr;
using testing::MakeEvent;
using testing::MemoryViewState;
using testing::NumberAfter;
using testing::ValueAfter;

constexpr std::string_view kStore = "s1";

Event Started(std::string_view conv, std::string_view customer, std::string_view when) {
  Event e = MakeEvent(EventType::kConversationStarted, kStore, when);
  e.conversation_id = std::string(conv);
  e.customer_id = std::string(customer);
  return e;
}

Event Message(std::string_view conv, Sender sender, std::string_view when) {
  Event e = MakeEvent(EventType::kMessageSent, kStore, when);
  e.conversation_id = std::string(conv);
  e.sender = sender;
  return e;
}

Event Analysis(std::string_view conv, std::string_view date, double sentiment, double shift, double resolution,
               double fcr, double ces) {
  Event e = MakeEvent(EventType::kAnalysisScored, kStore, "2026-11-21T00:00:00Z");
  e.conversation_id = std::string(conv);
  e.analysis_date = ParseDate(date).value();
  e.sentiment_score = sentiment;
  e.sentiment_shift = shift;
  e.resolution_achieved = resolution;
  e.fcr_score = fcr;
  e.ces = ces;
  return e;
}

Event Scored(std::string_view conv, std::string_view when, double overall, double help, double acc, double pol) {
  Event e = MakeEvent(EventType::kQualityScored, kStore, when);
  e.conversation_id = std::string(conv);
  e.overall = overall;
  e.helpfulness = help;
  e.accuracy = acc;
  e.politeness = pol;
  return e;
}

Event Weights(double effectiveness, double effort, double efficiency, double empathy) {
  Event e = MakeEvent(EventType::kStoreConfigured, kStore, "2026-11-22T00:00:00Z");
  e.csi_weights = CsiWeights{effectiveness, effort, efficiency, empathy};
  return e;
}

double S(double x, double t) { return 10 * t / (t + x); }

class QualityViewTest : public ::testing::Test {
 protected:
  std::string Conversation(std::string_view conv) {
    Result<std::string> r = ConversationJson(state_.Reader(), kStore, conv);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : "";
  }
  std::string Days(std::string_view from, std::string_view to, std::string_view store = kStore) {
    Result<std::string> r = QualityDaysJson(state_.Reader(), store, ParseDate(from).value(), ParseDate(to).value());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : "";
  }

  QualityProcessor processor_;
  MemoryViewState state_;
};

// Day D: customer 10:00:00, agent 10:00:30 (30 s), customer 10:01:00, ai 10:02:00 (60 s).
std::vector<Event> TwoResponsesOn20th() {
  return {Started("c1", "cust1", "2026-11-20T09:59:00Z"), Message("c1", Sender::kCustomer, "2026-11-20T10:00:00Z"),
          Message("c1", Sender::kAgent, "2026-11-20T10:00:30Z"),
          Message("c1", Sender::kCustomer, "2026-11-20T10:01:00Z"), Message("c1", Sender::kAi, "2026-11-20T10:02:00Z")};
}

TEST_F(QualityViewTest, DailyAnalysisDerivesPillarsAndCsiWithDefaultWeights) {
  state_.Fold(processor_, TwoResponsesOn20th());
  state_.Fold(processor_, {Analysis("c1", "2026-11-20", 8, 1, 9, 7, 2)});
  std::string json = Conversation("c1");
  EXPECT_EQ(NumberAfter(json, "first_response_time_s"), 30);
  EXPECT_EQ(NumberAfter(json, "avg_response_time_s"), 45);
  EXPECT_EQ(NumberAfter(json, "total_handling_time_min"), 2);
  double effectiveness = (9 + 7) / 2.0, effort = (7 - 2) / 6.0 * 10, empathy = (8 + 1 + 5) / 2.0;
  double efficiency = (S(30, 60) + S(45, 60) + S(120, 600)) / 3;
  EXPECT_EQ(NumberAfter(json, "effectiveness"), effectiveness);
  EXPECT_NEAR(NumberAfter(json, "effort"), effort, 1e-12);
  EXPECT_EQ(NumberAfter(json, "empathy"), empathy);
  EXPECT_NEAR(NumberAfter(json, "efficiency"), efficiency, 1e-12);
  EXPECT_NEAR(NumberAfter(json, "csi"), (effectiveness + effort + efficiency + empathy) / 4, 1e-12);
  EXPECT_EQ(ValueAfter(json, "analysis_date"), "\"2026-11-20\"");
  EXPECT_EQ(NumberAfter(json, "first_response_time_ms"), 30000);
}

TEST_F(QualityViewTest, WeightsConfiguredAfterTheAnalysisChangeTheAnswer) {
  state_.Fold(processor_, TwoResponsesOn20th());
  state_.Fold(processor_, {Analysis("c1", "2026-11-20", 8, 1, 9, 7, 2)});
  double before = NumberAfter(Conversation("c1"), "csi");
  state_.Fold(processor_, {Weights(1, 0, 0, 3)});
  std::string json = Conversation("c1");
  EXPECT_NE(NumberAfter(json, "csi"), before);
  EXPECT_NEAR(NumberAfter(json, "csi"), (1 * 8.0 + 3 * 7.0) / 4, 1e-12);
  EXPECT_NEAR(NumberAfter(Days("2026-11-20", "2026-11-20"), "avg_csi"), (8.0 + 21.0) / 4, 1e-12);
}

TEST_F(QualityViewTest, OneMessageDayHasNullTimesAndCsiOverTheOtherPillars) {
  state_.Fold(processor_,
              {Message("c1", Sender::kCustomer, "2026-11-20T10:00:00Z"), Analysis("c1", "2026-11-20", 6, -1, 4, 2, 4)});
  std::string json = Conversation("c1");
  EXPECT_EQ(ValueAfter(json, "first_response_time_s"), "null");
  EXPECT_EQ(ValueAfter(json, "avg_response_time_s"), "null");
  EXPECT_EQ(ValueAfter(json, "total_handling_time_min"), "null");
  EXPECT_EQ(ValueAfter(json, "efficiency"), "null");
  EXPECT_NEAR(NumberAfter(json, "csi"), (3.0 + 5.0 + 5.0) / 3, 1e-12);
  // Only efficiency weighted, and efficiency is null: no CSI at all.
  state_.Fold(processor_, {Weights(0, 0, 1, 0)});
  EXPECT_EQ(ValueAfter(Conversation("c1"), "csi"), "null");
  EXPECT_EQ(ValueAfter(Days("2026-11-20", "2026-11-20"), "avg_csi"), "null");
}

TEST_F(QualityViewTest, LateMessageChangesTheDaySummary) {
  state_.Fold(processor_,
              {Message("c1", Sender::kCustomer, "2026-11-20T10:00:00Z"),
               Message("c1", Sender::kAgent, "2026-11-20T10:01:00Z"), Analysis("c1", "2026-11-20", 5, 0, 5, 5, 4)});
  std::string before = Conversation("c1");
  EXPECT_EQ(NumberAfter(before, "total_handling_time_min"), 1);
  // A message logged later but stamped at 09:50 widens the day's handling time.
  state_.Fold(processor_, {Message("c1", Sender::kAgent, "2026-11-20T09:50:00Z")});
  std::string after = Conversation("c1");
  EXPECT_EQ(NumberAfter(after, "total_handling_time_min"), 11);
  EXPECT_NE(NumberAfter(after, "csi"), NumberAfter(before, "csi"));
}

TEST_F(QualityViewTest, LaterAnalysisForTheSameDateReplacesTheScores) {
  state_.Fold(processor_, {Message("c1", Sender::kCustomer, "2026-11-20T10:00:00Z"),
                           Analysis("c1", "2026-11-20", 5, 0, 5, 5, 4), Analysis("c1", "2026-11-20", 9, 0, 5, 5, 4)});
  std::string json = Conversation("c1");
  EXPECT_EQ(NumberAfter(json, "sentiment_score"), 9);
  EXPECT_EQ(ValueAfter(json, "analysis_date", 1), "");  // one entry per date
}

TEST_F(QualityViewTest, PreviousDaysCustomerMessageDoesNotStartAResponse) {
  state_.Fold(
      processor_,
      {Message("c1", Sender::kCustomer, "2026-11-19T23:59:00Z"), Message("c1", Sender::kAgent, "2026-11-20T00:01:00Z"),
       Message("c1", Sender::kAgent, "2026-11-20T00:02:00Z"), Analysis("c1", "2026-11-20", 5, 0, 5, 5, 4)});
  std::string json = Conversation("c1");
  EXPECT_EQ(ValueAfter(json, "first_response_time_s"), "null");
  EXPECT_EQ(ValueAfter(json, "avg_response_time_s"), "null");
  EXPECT_EQ(NumberAfter(json, "total_handling_time_min"), 1);
  EXPECT_EQ(NumberAfter(json, "first_response_time_ms"), 120000);  // conversation-wide it is a response
}

TEST_F(QualityViewTest, AnalysesListedByDateAscending) {
  state_.Fold(processor_, {Analysis("c1", "2026-11-21", 5, 0, 5, 5, 4), Analysis("c1", "2026-11-20", 5, 0, 5, 5, 4)});
  std::string json = Conversation("c1");
  EXPECT_EQ(ValueAfter(json, "analysis_date", 0), "\"2026-11-20\"");
  EXPECT_EQ(ValueAfter(json, "analysis_date", 1), "\"2026-11-21\"");
}

// A day's avg_csi covers the conversations analysed for that date — with or without messages that day — and
// not those that only had messages; each counts with the CSI its detail shows for that date.
TEST_F(QualityViewTest, AverageCsiCountsTheConversationsAnalysedForTheDay) {
  state_.Fold(processor_, TwoResponsesOn20th());
  state_.Fold(processor_,
              {Message("c2", Sender::kCustomer, "2026-11-20T11:00:00Z"),
               Message("c2", Sender::kAgent, "2026-11-20T11:00:10Z"), Analysis("c3", "2026-11-21", 2, -1, 3, 4, 6),
               Analysis("c1", "2026-11-20", 8, 1, 9, 7, 2), Analysis("c3", "2026-11-20", 5, 0, 5, 5, 4)});
  double c1 = NumberAfter(Conversation("c1"), "csi");
  std::string c3 = Conversation("c3");
  EXPECT_EQ(ValueAfter(c3, "analysis_date", 0), "\"2026-11-20\"");
  EXPECT_EQ(ValueAfter(c3, "analysis_date", 1), "\"2026-11-21\"");
  double c3_20 = NumberAfter(c3, "csi", 0), c3_21 = NumberAfter(c3, "csi", 1);
  EXPECT_THAT(Conversation("c2"), HasSubstr("\"daily_analysis\":[]"));
  std::string days = Days("2026-11-20", "2026-11-22");
  EXPECT_NEAR(NumberAfter(days, "avg_csi", 0), (c1 + c3_20) / 2, 1e-12);
  EXPECT_NEAR(NumberAfter(days, "avg_csi", 1), c3_21, 1e-12);
  EXPECT_EQ(ValueAfter(days, "avg_csi", 2), "null");
}

// The stored rows decode to what was encoded, and a damaged row (cut short, or a date count beyond its length)
// is refused rather than read past its end.
TEST(QualityStateTest, RowsRoundTripAndDamagedRowsAreRefused) {
  quality::ConversationRecord c;
  c.customer_id = "cust";
  c.total_messages = 3;
  c.analysis_dates = {20000, 20001, 20400};
  std::string encoded = c.Encode();
  std::optional<quality::ConversationRecord> back = quality::ConversationRecord::Decode(encoded);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->customer_id, c.customer_id);
  EXPECT_EQ(back->total_messages, 3u);
  EXPECT_EQ(back->analysis_dates, c.analysis_dates);
  EXPECT_FALSE(quality::ConversationRecord::Decode(encoded.substr(0, encoded.size() - 1)).has_value());
  std::string huge = encoded.substr(0, encoded.size() - 3 * 4 - 8) + std::string(8, '\xff');
  EXPECT_FALSE(quality::ConversationRecord::Decode(huge).has_value());

  quality::ConversationDay d;
  d.summary.messages = 2;
  d.summary.first_response_ms = 1500;
  d.analysis = quality::AnalysisScores{1, 2, 3, 4, 5};
  std::optional<quality::ConversationDay> day = quality::ConversationDay::Decode(d.Encode());
  ASSERT_TRUE(day.has_value());
  EXPECT_EQ(day->summary.messages, 2u);
  EXPECT_EQ(day->summary.first_response_ms, 1500);
  ASSERT_TRUE(day->analysis.has_value());
  EXPECT_EQ(day->analysis->ces, 5);
  d.analysis.reset();
  day = quality::ConversationDay::Decode(d.Encode());
  ASSERT_TRUE(day.has_value());
  EXPECT_FALSE(day->analysis.has_value());
  EXPECT_FALSE(quality::ConversationDay::Decode(d.Encode() + "x").has_value());
}

TEST_F(QualityViewTest, UnknownConversationIsNotFoundButMessagesAloneMakeItKnown) {
  Result<std::string> missing = ConversationJson(state_.Reader(), kStore, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  state_.Fold(processor_, {Message("c2", Sender::kCustomer, "2026-11-20T10:00:00Z")});
  std::string json = Conversation("c2");
  EXPECT_EQ(ValueAfter(json, "customer_id"), "null");
  EXPECT_EQ(ValueAfter(json, "started_at"), "null");
  EXPECT_EQ(ValueAfter(json, "status"), "\"open\"");
  EXPECT_EQ(NumberAfter(json, "total_messages"), 1);
  EXPECT_EQ(ValueAfter(json, "quality"), "null");
  EXPECT_THAT(json, HasSubstr("\"daily_analysis\":[]"));
  // Another store never saw it.
  EXPECT_EQ(ConversationJson(state_.Reader(), "other", "c2").status().code(), Code::kNotFound);
}

TEST_F(QualityViewTest, FirstStartFixesCustomerAndLatestOutcomeIsTheStatus) {
  Event resolved = MakeEvent(EventType::kConversationResolved, kStore, "2026-11-20T11:00:00Z");
  resolved.conversation_id = "c1";
  Event escalated = MakeEvent(EventType::kConversationEscalated, kStore, "2026-11-20T10:30:00Z");
  escalated.conversation_id = "c1";
  state_.Fold(processor_, {Started("c1", "alice", "2026-11-20T10:00:00Z"), Started("c1", "bob", "2026-11-20T10:05:00Z"),
                           resolved, escalated});
  std::string json = Conversation("c1");
  EXPECT_EQ(ValueAfter(json, "customer_id"), "\"alice\"");
  EXPECT_EQ(ValueAfter(json, "started_at"), "\"2026-11-20T10:00:00.000Z\"");
  EXPECT_EQ(ValueAfter(json, "status"), "\"escalated\"");
}

TEST_F(QualityViewTest, QualityDaysAverageByOccurredDayAndLatestScoreOnDetail) {
  state_.Fold(processor_, {Scored("c1", "2026-11-20T10:00:00Z", 0.8, 0.6, 1, 0.5),
                           Scored("c2", "2026-11-20T23:00:00Z", 0.9, 0.8, 0.5, 0.5),
                           Scored("c1", "2026-11-22T01:00:00Z", 0.4, 0.4, 0.4, 0.4)});
  std::string json = Days("2026-11-20", "2026-11-22");
  EXPECT_EQ(ValueAfter(json, "date", 0), "\"2026-11-20\"");
  EXPECT_EQ(NumberAfter(json, "scored_events", 0), 2);
  EXPECT_EQ(NumberAfter(json, "avg_overall", 0), 0.85);
  EXPECT_EQ(NumberAfter(json, "avg_helpfulness", 0), 0.7);
  EXPECT_EQ(NumberAfter(json, "avg_accuracy", 0), 0.75);
  EXPECT_EQ(NumberAfter(json, "scored_events", 1), 0);
  EXPECT_EQ(ValueAfter(json, "avg_overall", 1), "null");
  EXPECT_EQ(ValueAfter(json, "avg_csi", 1), "null");
  EXPECT_EQ(NumberAfter(json, "avg_overall", 2), 0.4);
  std::string detail = Conversation("c1");
  EXPECT_THAT(detail, HasSubstr("\"quality\":{\"overall\":0.4,\"helpfulness\":0.4,\"accuracy\":0.4,"
                                "\"politeness\":0.4,\"scored_at\":\"2026-11-22T01:00:00.000Z\"}"));
}

TEST_F(QualityViewTest, UnknownStoreAnswersZeroFilledRows) {
  std::string json = Days("2026-11-01", "2026-11-03", "never-seen");
  EXPECT_EQ(json,
            "{\"as_of_seq\":0,\"days\":["
            "{\"date\":\"2026-11-01\",\"scored_events\":0,\"avg_overall\":null,\"avg_helpfulness\":null,"
            "\"avg_accuracy\":null,\"avg_politeness\":null,\"avg_csi\":null},"
            "{\"date\":\"2026-11-02\",\"scored_events\":0,\"avg_overall\":null,\"avg_helpfulness\":null,"
            "\"avg_accuracy\":null,\"avg_politeness\":null,\"avg_csi\":null},"
            "{\"date\":\"2026-11-03\",\"scored_events\":0,\"avg_overall\":null,\"avg_helpfulness\":null,"
            "\"avg_accuracy\":null,\"avg_politeness\":null,\"avg_csi\":null}]}");
}

TEST_F(QualityViewTest, NegativeResponseIsNotCountedButEndsTheRun) {
  state_.Fold(
      processor_,
      {Message("c1", Sender::kCustomer, "2026-11-20T10:05:00Z"), Message("c1", Sender::kAgent, "2026-11-20T10:00:00Z"),
       Message("c1", Sender::kAgent, "2026-11-20T10:06:00Z"), Analysis("c1", "2026-11-20", 5, 0, 5, 5, 4)});
  std::string json = Conversation("c1");
  EXPECT_EQ(ValueAfter(json, "first_response_time_ms"), "null");
  EXPECT_EQ(ValueAfter(json, "first_response_time_s"), "null");
  EXPECT_EQ(NumberAfter(json, "total_handling_time_min"), 6);
}

}  // namespace
}  // namespace tally
