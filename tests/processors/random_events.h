// Seeded random event streams covering every event type, for property tests of the views. Events are valid
// by construction (CONTRACT §1.2); some event ids repeat so storage dedup is exercised too.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/time.h"

namespace tally::testing {

class RandomEvents {
 public:
  explicit RandomEvents(uint32_t seed) : rng_(seed) {}

  std::vector<Event> Make(size_t n) {
    std::vector<Event> out;
    for (size_t i = 0; i < n; ++i) out.push_back(One());
    return out;
  }

  static constexpr TimeMs kStart = 1'790'812'800'000;  // 2026-10-01T00:00:00Z
  static constexpr int kDays = 20;

 private:
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double Real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))]; }

  Event Envelope(EventType type) {
    Event e;
    // About 2 % of ids repeat an earlier one: the duplicate must be dropped by storage.
    e.event_id = (next_id_ > 10 && Int(0, 49) == 0) ? "ev" + std::to_string(Int(1, next_id_ - 1))
                                                    : "ev" + std::to_string(next_id_++);
    e.type = type;
    e.store_id = Int(0, 3) == 0 ? "s2" : "s1";
    e.occurred_at_ms = kStart + static_cast<TimeMs>(Int(0, kDays * 24 * 60)) * 60'000 + Int(0, 59'999);
    return e;
  }
  std::string Conversation() { return "c" + std::to_string(Int(1, 60)); }

  Event One() {
    int kind = Int(0, 99);
    if (kind < 15) return Started();
    if (kind < 55) return Message();
    if (kind < 65) return Outcome();
    if (kind < 72) return Knowledge();
    if (kind < 77) return Quality();
    if (kind < 82) return Analysis();
    if (kind < 89) return Pass();
    if (kind < 94) return Usage();
    if (kind < 97) return GapStatus();
    return Configured();
  }
  Event Started() {
    Event e = Envelope(EventType::kConversationStarted);
    e.conversation_id = Conversation();
    e.customer_id = "u" + std::to_string(Int(1, 25));
    return e;
  }
  Event Message() {
    Event e = Envelope(EventType::kMessageSent);
    e.conversation_id = Conversation();
    e.sender = static_cast<Sender>(Int(0, 4) < 3 ? 0 : Int(1, 2));
    return e;
  }
  Event Outcome() {
    static const std::vector<EventType> kinds = {EventType::kConversationResolved, EventType::kConversationEscalated,
                                                 EventType::kConversationAbandoned};
    Event e = Envelope(Pick(kinds));
    e.conversation_id = Conversation();
    if (e.type == EventType::kConversationResolved && Int(0, 2) > 0) e.resolved_by = static_cast<ResolvedBy>(Int(0, 1));
    return e;
  }
  Event Knowledge() {
    static const std::vector<std::string> topics = {"Billing", " billing ", "Shipping  times", "returns"};
    Event e = Envelope(EventType::kKnowledgeRetrieved);
    e.conversation_id = Conversation();
    e.query = "q" + std::to_string(Int(1, 8));
    e.topic = Pick(topics);
    e.confidence = Real(0, 1);
    return e;
  }
  Event Quality() {
    Event e = Envelope(EventType::kQualityScored);
    e.conversation_id = Conversation();
    e.overall = Real(0, 1);
    e.helpfulness = Real(0, 1);
    e.accuracy = Real(0, 1);
    e.politeness = Real(0, 1);
    return e;
  }
  Event Analysis() {
    Event e = Envelope(EventType::kAnalysisScored);
    e.conversation_id = Conversation();
    e.analysis_date = DayOf(e.occurred_at_ms) - Int(0, 1);
    e.sentiment_score = Real(0, 10);
    e.sentiment_shift = Real(-5, 5);
    e.resolution_achieved = Real(0, 10);
    e.fcr_score = Real(0, 10);
    e.ces = Real(1, 7);
    return e;
  }
  Event Pass() {
    Event e = Envelope(EventType::kPassCompleted);
    e.shell_file_id = "f" + std::to_string(Int(1, 12));
    e.profile_id = "p" + std::to_string(Int(1, 3));
    e.pass = Int(1, 3);
    e.success = Int(0, 5) > 0;
    e.model = "m" + std::to_string(Int(1, 2));
    e.tokens = Int(0, 5000);
    e.cost_usd = Int(0, 100000) / 1e5;
    e.processing_time_ms = Int(0, 9000);
    if (Int(0, 1)) e.entities = Int(0, 40);
    if (Int(0, 1)) e.confidence = Real(0, 1);
    if (Int(0, 1)) e.manual_review = Int(0, 1) == 1;
    return e;
  }
  Event Usage() {
    Event e = Envelope(EventType::kUsageRecorded);
    e.service = Int(0, 1) ? "llm" : "embed";
    e.operation = Int(0, 1) ? "chat" : "search";
    e.tokens = Int(0, 3000);
    e.cost_usd = Int(0, 100000) / 1e5;
    if (Int(0, 1)) e.profile_id = "p" + std::to_string(Int(1, 3));
    return e;
  }
  Event GapStatus() {
    Event e = Envelope(EventType::kContentGapStatusChanged);
    e.topic = Int(0, 1) ? "billing" : "Returns";
    e.status = static_cast<::tally::GapStatus>(Int(0, 2));
    return e;
  }
  Event Configured() {
    Event e = Envelope(EventType::kStoreConfigured);
    if (Int(0, 1)) e.gap_confidence_threshold = Real(0, 1);
    if (Int(0, 1)) e.human_cost_per_hour = Int(10, 60);
    if (Int(0, 1)) e.minutes_per_conversation = Int(1, 20) / 2.0;
    if (Int(0, 1)) e.ai_cost_per_conversation = Int(1, 20) / 100.0;
    if (Int(0, 1)) e.csi_weights = CsiWeights{Real(0.1, 1), Real(0, 1), Real(0, 1), Real(0, 1)};
    if (!e.gap_confidence_threshold && !e.human_cost_per_hour && !e.minutes_per_conversation &&
        !e.ai_cost_per_conversation && !e.csi_weights) {
      e.human_cost_per_hour = 30;
    }
    return e;
  }

  std::mt19937 rng_;
  int next_id_ = 1;
};

// Query lines covering every route over the random streams' range.
inline std::vector<std::string> RandomStreamQueries() {
  std::vector<std::string> out;
  for (const char* store : {"s1", "s2", "none"}) {
    std::string s = std::string(" store=") + store;
    out.push_back("daily_metrics" + s + " from=2026-09-30 to=2026-10-22");
    out.push_back("export" + s + " from=2026-09-30 to=2026-10-22 format=csv");
    out.push_back("metrics" + s + " period=week date=2026-10-08");
    out.push_back("metrics" + s + " period=month date=2026-10-08");
    out.push_back("metrics" + s + " period=year date=2026-10-08");
    out.push_back("trends" + s + " from=2026-10-05 to=2026-10-06 granularity=hour");
    out.push_back("trends" + s + " from=2026-09-30 to=2026-10-22 granularity=week");
    out.push_back("roi" + s + " period_days=30 to=2026-10-21");
    out.push_back("quality" + s + " from=2026-09-30 to=2026-10-22");
    out.push_back("content_gaps" + s);
    out.push_back("files" + s + " limit=1000");
    out.push_back("usage_daily" + s + " from=2026-09-30 to=2026-10-22");
    out.push_back("usage_monthly" + s + " month=2026-10");
    for (int c : {1, 7, 33}) out.push_back("conversation" + s + " conversation_id=c" + std::to_string(c));
    out.push_back("file" + s + " shell_file_id=f3");
  }
  return out;
}

}  // namespace tally::testing
