// The parts of validation that depend on the context rather than on the event alone: the clock, the batch's
// sentAt skew correction, store permissions, and what a rejection carries for the quarantine.
#include "core/validator.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace tally {
namespace {

constexpr TimeMs kNow = 1'795'176'000'000;  // 2026-11-20T12:00:00Z

std::string Abandoned(std::string_view occurred_at, std::string_view store = "s1", std::string_view id = "e1") {
  return fmt::format(R"({{"event_id":"{}","type":"conversation_abandoned","store_id":"{}","occurred_at":"{}",)"
                     R"("conversation_id":"c1"}})",
                     id, store, occurred_at);
}

ValidationContext Context(std::optional<TimeMs> sent_at = std::nullopt) {
  ValidationContext ctx;
  ctx.now_ms = kNow;
  ctx.received_at = kNow;
  ctx.sent_at = sent_at;
  return ctx;
}

const Rejection& AsRejection(const ValidationResult& r) { return std::get<Rejection>(r); }

TEST(ValidatorContextTest, WithoutSentAtTheTimeIsStoredAsSent) {
  ValidationResult r = ValidateJsonEvent(Abandoned("2026-11-20T11:00:00.123+00:00"), Context());
  ASSERT_TRUE(std::holds_alternative<Event>(r));
  EXPECT_EQ(std::get<Event>(r).occurred_at_ms, kNow - kMsPerHour + 123);
}

TEST(ValidatorContextTest, SkewCorrectionUsesHowLongBeforeSendingTheEventHappened) {
  // The producer's clock is 3 days fast: it says it sent at now + 3 d an event 5 minutes older than that.
  TimeMs client_sent = kNow + 3 * kMsPerDay;
  ValidationContext ctx = Context(client_sent);
  ctx.received_at = kNow - 20;  // the batch arrived a little before the validator runs
  ValidationResult r = ValidateJsonEvent(Abandoned("2026-11-23T11:55:00Z"), ctx);
  ASSERT_TRUE(std::holds_alternative<Event>(r)) << AsRejection(r).message;
  EXPECT_EQ(std::get<Event>(r).occurred_at_ms, kNow - 20 - 5 * 60'000);
}

TEST(ValidatorContextTest, FutureCheckAppliesToTheCorrectedTime) {
  // Uncorrected, 2 days ahead is future; with a client clock 2 days fast it is "just now".
  std::string event = Abandoned("2026-11-22T12:00:00Z");
  EXPECT_EQ(AsRejection(ValidateJsonEvent(event, Context())).code, Code::kFutureTimestamp);
  EXPECT_TRUE(std::holds_alternative<Event>(ValidateJsonEvent(event, Context(kNow + 2 * kMsPerDay))));
  // A slow client clock pushes a "past" event into the future.
  std::string past = Abandoned("2026-11-20T11:00:00Z");
  EXPECT_EQ(AsRejection(ValidateJsonEvent(past, Context(kNow - 2 * kMsPerDay))).code, Code::kFutureTimestamp);
}

TEST(ValidatorContextTest, Year2000LimitAppliesToTheCorrectedTime) {
  // The client clock is stuck in 1999; its events are recent once corrected.
  std::string event = Abandoned("1999-06-01T00:00:00Z");
  EXPECT_EQ(AsRejection(ValidateJsonEvent(event, Context())).code, Code::kInvalidValue);
  ValidationResult r = ValidateJsonEvent(event, Context(*ParseRfc3339("1999-06-01T00:00:10Z")));
  ASSERT_TRUE(std::holds_alternative<Event>(r));
  EXPECT_EQ(std::get<Event>(r).occurred_at_ms, kNow - 10'000);
}

TEST(ValidatorContextTest, EmptyPermissionFunctionAllowsEveryStore) {
  EXPECT_TRUE(std::holds_alternative<Event>(ValidateJsonEvent(Abandoned("2026-11-20T11:00:00Z", "any"), Context())));
}

TEST(ValidatorContextTest, RejectionCarriesEventIdAndQuarantineStore) {
  ValidationContext ctx = Context();
  ctx.can_write = [](std::string_view store) { return store == "mine"; };
  // Valid, writable store: quarantined per store.
  Rejection r = AsRejection(ValidateJsonEvent(Abandoned("nope", "mine", "id-7"), ctx));
  EXPECT_EQ(r.code, Code::kInvalidValue);
  EXPECT_EQ(r.event_id, "id-7");
  EXPECT_EQ(r.quarantine_store, "mine");
  // Not writable: forbidden, global quarantine, event id still reported.
  r = AsRejection(ValidateJsonEvent(Abandoned("2026-11-20T11:00:00Z", "theirs", "id-8"), ctx));
  EXPECT_EQ(r.code, Code::kForbidden);
  EXPECT_EQ(r.event_id, "id-8");
  EXPECT_EQ(r.quarantine_store, "");
  // Invalid store id: global quarantine.
  ctx.can_write = nullptr;
  r = AsRejection(ValidateJsonEvent(Abandoned("2026-11-20T11:00:00Z", "bad store"), ctx));
  EXPECT_EQ(r.code, Code::kInvalidValue);
  EXPECT_EQ(r.quarantine_store, "");
  // Unreadable: nothing known.
  r = AsRejection(ValidateJsonEvent(R"({"event_id":"e1","store_id":"mine",)", ctx));
  EXPECT_EQ(r.code, Code::kMalformed);
  EXPECT_EQ(r.event_id, "");
  EXPECT_EQ(r.quarantine_store, "");
  // An event id that breaks the rules is not echoed (it could be 60 KiB).
  r = AsRejection(ValidateJsonEvent(Abandoned("2026-11-20T11:00:00Z", "s1", std::string(129, 'x')), ctx));
  EXPECT_EQ(r.event_id, "");
  EXPECT_EQ(r.quarantine_store, "s1");
  // A too-large event that still parses keeps its identity.
  std::string big = R"({"event_id":"big","store_id":"s1","type":"message_sent","text":")" +
                    std::string(70'000, 'a') + "\"}";
  r = AsRejection(ValidateJsonEvent(big, ctx));
  EXPECT_EQ(r.code, Code::kTooLarge);
  EXPECT_EQ(r.event_id, "big");
  EXPECT_EQ(r.quarantine_store, "s1");
}

TEST(ValidatorContextTest, ValidatingManyEventsReusesNothingStale) {
  // The validator keeps per-thread scratch; a later event must never see an earlier one's fields.
  ValidationContext ctx = Context();
  std::string with_props =
      R"({"event_id":"e1","type":"conversation_abandoned","store_id":"s1","occurred_at":"2026-11-20T11:00:00Z",)"
      R"("conversation_id":"c1","properties":{"a":"x\ny"}})";
  ASSERT_TRUE(std::holds_alternative<Event>(ValidateJsonEvent(with_props, ctx)));
  ValidationResult r = ValidateJsonEvent(Abandoned("2026-11-20T11:00:00Z"), ctx);
  ASSERT_TRUE(std::holds_alternative<Event>(r));
  EXPECT_FALSE(std::get<Event>(r).properties.has_value());
  Rejection missing = AsRejection(ValidateJsonEvent(R"({"type":"conversation_abandoned"})", ctx));
  EXPECT_EQ(missing.message, "missing required field event_id");
}

}  // namespace
}  // namespace tally
