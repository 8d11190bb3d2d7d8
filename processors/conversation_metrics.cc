#include "processors/conversation_metrics.h"

#include <algorithm>

#include "processors/conversation_metrics_state.h"

namespace tally {
namespace {

// One event's fold: loads the conversation's state at most once, accumulates the deltas of its day and of its
// hour, and writes them into the day row (which holds the day's hours too) and the conversation once.
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
  ConversationState& Conversation();
  // Counts a conversation-level event once per hour and once per day.
  void CountConversation(MarkerKind kind, uint64_t MetricsRow::*field);
  void CountCustomer(std::string_view customer_id);
  bool NewWeekForCustomer(std::string_view customer_id, const CustomerYear& this_year, DayNum year_start);
  void CountNewMonthForCustomer(const CustomerYear& year, unsigned month_index, DayNum month_start, DayNum year_start);
  void WriteDayRow();
  void AddToCounter(const std::string& key, uint64_t delta);
  void AddToHistogram(uint64_t response_ms);

  const Event& event_;
  FoldState& state_;
  std::string_view store_;
  DayNum day_;
  int64_t hour_;
  MetricsRow day_delta_;
  MetricsRow hour_delta_;
  std::optional<ConversationState> conversation_;
  bool conversation_dirty_ = false;
};

ConversationState& EventFold::Conversation() {
  if (!conversation_) {
    auto value = state_.Get(ConversationKey(store_, *event_.conversation_id));
    conversation_ = value ? DecodeConversationState(*value) : ConversationState{};
  }
  return *conversation_;
}

void EventFold::CountConversation(MarkerKind kind, uint64_t MetricsRow::*field) {
  auto& hours = Conversation().hour_kinds;
  uint8_t bit = static_cast<uint8_t>(1u << static_cast<unsigned>(kind));
  int64_t day_first_hour = int64_t{day_} * 24;
  bool seen_today = std::any_of(hours.begin(), hours.end(), [&](const auto& h) {
    return h.first >= day_first_hour && h.first < day_first_hour + 24 && (h.second & bit);
  });
  if (!seen_today) ++(day_delta_.*field);
  auto it = std::lower_bound(hours.begin(), hours.end(), std::make_pair(hour_, uint8_t{0}));
  if (it == hours.end() || it->first != hour_) it = hours.insert(it, {hour_, uint8_t{0}});
  if (it->second & bit) return;
  it->second |= bit;
  ++(hour_delta_.*field);
  conversation_dirty_ = true;
}

// Distinct customers per hour and day live in the rows; per week, month, quarter and year in counters, so a
// period's count is exact and read with one look-up. A bigger bucket can only be new when the day is.
void EventFold::CountCustomer(std::string_view customer_id) {
  DayNum year_start = YearStart(day_);
  std::string key = CustomerYearKey(store_, year_start, customer_id);
  auto value = state_.Get(key);
  CustomerYear year = value ? DecodeCustomerYear(*value) : CustomerYear{};
  unsigned month_index = CivilFromDays(day_).month - 1;
  CustomerMonth& month = year.months[month_index];
  CustomerMonth before = month;
  DayNum month_start = MonthStart(day_);
  auto hour_index = static_cast<size_t>(hour_ - int64_t{month_start} * 24);
  uint64_t hour_bit = uint64_t{1} << (hour_index % 64);
  if (!(month.hours[hour_index / 64] & hour_bit)) {
    month.hours[hour_index / 64] |= hour_bit;
    ++hour_delta_.unique_customers;
  }
  uint32_t day_bit = uint32_t{1} << static_cast<unsigned>(day_ - month_start);
  if (!(month.days & day_bit)) {
    ++day_delta_.unique_customers;
    if (NewWeekForCustomer(customer_id, year, year_start)) {
      AddToCounter(UniqueCustomersKey(store_, Granularity::kWeek, IsoWeekStart(day_)), 1);
    }
    if (month.days == 0) CountNewMonthForCustomer(year, month_index, month_start, year_start);
    month.days |= day_bit;
  }
  if (!(month == before)) state_.Put(key, EncodeCustomerYear(year));
}

// True when the customer was seen on no other day of the ISO week (which may reach into another month, or
// another year's row).
bool EventFold::NewWeekForCustomer(std::string_view customer_id, const CustomerYear& this_year, DayNum year_start) {
  DayNum week = IsoWeekStart(day_);
  std::optional<CustomerYear> other_year;
  for (DayNum d = week; d < week + 7; ++d) {
    if (d == day_) continue;
    const CustomerYear* year = &this_year;
    if (YearStart(d) != year_start) {
      if (!other_year) {
        auto value = state_.Get(CustomerYearKey(store_, YearStart(d), customer_id));
        other_year = value ? DecodeCustomerYear(*value) : CustomerYear{};
      }
      year = &*other_year;
    }
    const CustomerMonth& month = year->months[CivilFromDays(d).month - 1];
    if (month.days & (uint32_t{1} << static_cast<unsigned>(d - MonthStart(d)))) return false;
  }
  return true;
}

// The customer's first day in this month: counts the month, and the quarter and year when they are new too.
void EventFold::CountNewMonthForCustomer(const CustomerYear& year, unsigned month_index, DayNum month_start,
                                         DayNum year_start) {
  AddToCounter(UniqueCustomersKey(store_, Granularity::kMonth, month_start), 1);
  bool seen_this_quarter = false, seen_this_year = false;
  for (unsigned m = 0; m < 12; ++m) {
    if (year.months[m].days == 0) continue;
    seen_this_year = true;
    if (m / 3 == month_index / 3) seen_this_quarter = true;
  }
  if (!seen_this_quarter) AddToCounter(UniqueCustomersKey(store_, Granularity::kQuarter, QuarterStart(day_)), 1);
  if (!seen_this_year) AddToCounter(UniqueCustomersKey(store_, Granularity::kYear, year_start), 1);
}

void EventFold::Started() {
  ConversationState& conversation = Conversation();
  if (!conversation.customer_id) {
    conversation.customer_id = *event_.customer_id;
    conversation_dirty_ = true;
  }
  CountConversation(MarkerKind::kStarted, &MetricsRow::total_conversations);
  CountCustomer(*conversation.customer_id);
}

void EventFold::Message() {
  ConversationState& conversation = Conversation();
  day_delta_.total_messages = hour_delta_.total_messages = 1;
  if (event_.sender == Sender::kCustomer) {
    day_delta_.customer_messages = hour_delta_.customer_messages = 1;
    if (!conversation.run_start) {
      conversation.run_start = event_.occurred_at_ms;
      conversation_dirty_ = true;
    }
    if (conversation.customer_id) CountCustomer(*conversation.customer_id);
    return;
  }
  day_delta_.agent_messages = hour_delta_.agent_messages = 1;
  if (!conversation.run_start) return;
  int64_t response_ms = event_.occurred_at_ms - *conversation.run_start;
  conversation.run_start.reset();  // the message ends the run even when its time is not counted
  conversation_dirty_ = true;
  if (response_ms < 0) return;
  day_delta_.responses = hour_delta_.responses = 1;
  day_delta_.response_time_sum_ms = hour_delta_.response_time_sum_ms = response_ms;
  AddToHistogram(static_cast<uint64_t>(response_ms));
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

// The day row is edited in place (conversation_metrics_state.h), like the histogram.
void EventFold::WriteDayRow() {
  if (day_delta_.IsZero() && hour_delta_.IsZero()) return;
  state_.Update(DayRowKey(store_, day_), [this](std::optional<std::string>& row) {
    if (!row) row.emplace();
    AddToDayRow(&*row, static_cast<int>(hour_ - int64_t{day_} * 24), day_delta_, hour_delta_);
  });
}

void EventFold::AddToCounter(const std::string& key, uint64_t delta) {
  auto value = state_.Get(key);
  uint64_t count = value ? ValueReader(*value).U64() : 0;
  state_.Put(key, ValueWriter().U64(count + delta).Take());
}

// The day's whole histogram is one value (conversation_metrics_state.h), edited in place: through
// FoldState::Update, a state that holds the row in memory need not copy it for every response.
void EventFold::AddToHistogram(uint64_t response_ms) {
  state_.Update(HistogramKey(store_, day_), [&](std::optional<std::string>& row) {
    if (!row) row.emplace();
    AddToDayHistogram(&*row, response_ms);
  });
}

void EventFold::Flush() {
  WriteDayRow();
  if (conversation_dirty_) {
    state_.Put(ConversationKey(store_, *event_.conversation_id), EncodeConversationState(*conversation_));
  }
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
