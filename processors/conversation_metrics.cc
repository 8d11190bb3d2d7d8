#include "processors/conversation_metrics.h"

#include "processors/conversation_metrics_state.h"

namespace tally {
namespace {

// One event's fold: accumulates the deltas of its day and hour rows and writes each row once.
class EventFold {
 public:
  EventFold(const Event& event, FoldState& state)
      : event_(event),
        state_(state),
        store_(event.store_id),
        day_(DayOf(event.occurred_at_ms)),
        hour_(HourOf(event.occurred_at_ms)) {}

  void Started();
  void Message();
  void Outcome(MarkerKind kind);
  void Configured();
  void Flush();

 private:
  ConversationState LoadConversation();
  void SaveConversation(const ConversationState& conversation);
  bool NewMarker(Granularity granularity, int64_t bucket, MarkerKind kind, std::string_view id);
  // Counts a conversation-level event once per day and once per hour.
  void CountConversation(MarkerKind kind, uint64_t MetricsRow::*field);
  void CountCustomer(std::string_view customer_id);
  void AddToRow(const std::string& key, const MetricsRow& delta);
  void AddToCounter(const std::string& key, uint64_t delta);

  const Event& event_;
  FoldState& state_;
  std::string_view store_;
  DayNum day_;
  int64_t hour_;
  MetricsRow day_delta_;
  MetricsRow hour_delta_;
};

ConversationState EventFold::LoadConversation() {
  auto value = state_.Get(ConversationKey(store_, *event_.conversation_id));
  return value ? DecodeConversationState(*value) : ConversationState{};
}

void EventFold::SaveConversation(const ConversationState& conversation) {
  state_.Put(ConversationKey(store_, *event_.conversation_id), EncodeConversationState(conversation));
}

bool EventFold::NewMarker(Granularity granularity, int64_t bucket, MarkerKind kind, std::string_view id) {
  std::string key = MarkerKey(store_, granularity, bucket, kind, id);
  if (state_.Get(key)) return false;
  state_.Put(key, std::string());
  return true;
}

void EventFold::CountConversation(MarkerKind kind, uint64_t MetricsRow::*field) {
  const std::string& id = *event_.conversation_id;
  if (NewMarker(Granularity::kDay, day_, kind, id)) ++(day_delta_.*field);
  if (NewMarker(Granularity::kHour, hour_, kind, id)) ++(hour_delta_.*field);
}

// Distinct customers per hour and day live in the rows; per week, month, quarter and year in counters, so
// a period's count is exact and read with one look-up.
void EventFold::CountCustomer(std::string_view customer_id) {
  if (NewMarker(Granularity::kDay, day_, MarkerKind::kCustomer, customer_id)) ++day_delta_.unique_customers;
  if (NewMarker(Granularity::kHour, hour_, MarkerKind::kCustomer, customer_id)) ++hour_delta_.unique_customers;
  for (Granularity g : {Granularity::kWeek, Granularity::kMonth, Granularity::kQuarter, Granularity::kYear}) {
    DayNum bucket = BucketStart(g, day_);
    if (NewMarker(g, bucket, MarkerKind::kCustomer, customer_id)) AddToCounter(UniqueCustomersKey(store_, g, bucket), 1);
  }
}

void EventFold::Started() {
  ConversationState conversation = LoadConversation();
  if (!conversation.customer_id) {
    conversation.customer_id = *event_.customer_id;
    SaveConversation(conversation);
  }
  CountConversation(MarkerKind::kStarted, &MetricsRow::total_conversations);
  CountCustomer(*conversation.customer_id);
}

void EventFold::Message() {
  ConversationState conversation = LoadConversation();
  day_delta_.total_messages = hour_delta_.total_messages = 1;
  if (event_.sender == Sender::kCustomer) {
    day_delta_.customer_messages = hour_delta_.customer_messages = 1;
    if (!conversation.run_start) {
      conversation.run_start = event_.occurred_at_ms;
      SaveConversation(conversation);
    }
    if (conversation.customer_id) CountCustomer(*conversation.customer_id);
    return;
  }
  day_delta_.agent_messages = hour_delta_.agent_messages = 1;
  if (!conversation.run_start) return;
  int64_t response_ms = event_.occurred_at_ms - *conversation.run_start;
  conversation.run_start.reset();  // the message ends the run even when its time is not counted
  SaveConversation(conversation);
  if (response_ms < 0) return;
  day_delta_.responses = hour_delta_.responses = 1;
  day_delta_.response_time_sum_ms = hour_delta_.response_time_sum_ms = response_ms;
  AddToCounter(HistogramKey(store_, day_, ResponseBucket(static_cast<uint64_t>(response_ms))), 1);
}

void EventFold::Outcome(MarkerKind kind) {
  switch (kind) {
    case MarkerKind::kResolved:
      CountConversation(kind, &MetricsRow::resolved_conversations);
      if (event_.resolved_by == ResolvedBy::kAi) {
        CountConversation(MarkerKind::kAiResolved, &MetricsRow::ai_resolved_conversations);
      }
      break;
    case MarkerKind::kEscalated: CountConversation(kind, &MetricsRow::escalated_conversations); break;
    case MarkerKind::kAbandoned: CountConversation(kind, &MetricsRow::abandoned_conversations); break;
    default: break;
  }
}

// ROI settings apply at read time (CONTRACT §3.11): keep the latest value of each field the event carries.
void EventFold::Configured() {
  std::string key = RoiConfigKey(store_);
  auto value = state_.Get(key);
  RoiConfig config = value ? DecodeRoiConfig(*value) : RoiConfig{};
  if (event_.human_cost_per_hour) config.human_cost_per_hour = event_.human_cost_per_hour;
  if (event_.minutes_per_conversation) config.minutes_per_conversation = event_.minutes_per_conversation;
  if (event_.ai_cost_per_conversation) config.ai_cost_per_conversation = event_.ai_cost_per_conversation;
  state_.Put(key, EncodeRoiConfig(config));
}

void EventFold::AddToRow(const std::string& key, const MetricsRow& delta) {
  if (delta.IsZero()) return;
  auto value = state_.Get(key);
  MetricsRow row = value ? DecodeMetricsRow(*value) : MetricsRow{};
  row.Add(delta);
  state_.Put(key, EncodeMetricsRow(row));
}

void EventFold::AddToCounter(const std::string& key, uint64_t delta) {
  auto value = state_.Get(key);
  uint64_t count = value ? ValueReader(*value).U64() : 0;
  state_.Put(key, ValueWriter().U64(count + delta).Take());
}

void EventFold::Flush() {
  AddToRow(DayRowKey(store_, day_), day_delta_);
  AddToRow(HourRowKey(store_, hour_), hour_delta_);
}

}  // namespace

void ConversationMetricsProcessor::Apply(uint64_t, const Event& event, FoldState& state) {
  EventFold fold(event, state);
  switch (event.type) {
    case EventType::kConversationStarted: fold.Started(); break;
    case EventType::kMessageSent: fold.Message(); break;
    case EventType::kConversationResolved: fold.Outcome(MarkerKind::kResolved); break;
    case EventType::kConversationEscalated: fold.Outcome(MarkerKind::kEscalated); break;
    case EventType::kConversationAbandoned: fold.Outcome(MarkerKind::kAbandoned); break;
    case EventType::kStoreConfigured: fold.Configured(); break;
    default: return;
  }
  fold.Flush();
}

}  // namespace tally
