#include "processors/conversation_metrics_state.h"

namespace tally {

void MetricsRow::Add(const MetricsRow& o) {
  total_conversations += o.total_conversations;
  resolved_conversations += o.resolved_conversations;
  escalated_conversations += o.escalated_conversations;
  abandoned_conversations += o.abandoned_conversations;
  ai_resolved_conversations += o.ai_resolved_conversations;
  total_messages += o.total_messages;
  customer_messages += o.customer_messages;
  agent_messages += o.agent_messages;
  responses += o.responses;
  response_time_sum_ms += o.response_time_sum_ms;
  unique_customers += o.unique_customers;
}

std::string EncodeMetricsRow(const MetricsRow& r) {
  ValueWriter w;
  w.U64(r.total_conversations).U64(r.resolved_conversations).U64(r.escalated_conversations);
  w.U64(r.abandoned_conversations).U64(r.ai_resolved_conversations).U64(r.total_messages);
  w.U64(r.customer_messages).U64(r.agent_messages).U64(r.responses).I64(r.response_time_sum_ms);
  w.U64(r.unique_customers);
  return w.Take();
}

MetricsRow DecodeMetricsRow(std::string_view value) {
  ValueReader in(value);
  MetricsRow r;
  r.total_conversations = in.U64();
  r.resolved_conversations = in.U64();
  r.escalated_conversations = in.U64();
  r.abandoned_conversations = in.U64();
  r.ai_resolved_conversations = in.U64();
  r.total_messages = in.U64();
  r.customer_messages = in.U64();
  r.agent_messages = in.U64();
  r.responses = in.U64();
  r.response_time_sum_ms = in.I64();
  r.unique_customers = in.U64();
  return in.ok() ? r : MetricsRow{};
}

std::string EncodeConversationState(const ConversationState& s) {
  ValueWriter w;
  w.Opt(s.customer_id).Opt(s.run_start).U64(s.hour_kinds.size());
  for (const auto& [hour, kinds] : s.hour_kinds) w.I64(hour).U8(kinds);
  return w.Take();
}

ConversationState DecodeConversationState(std::string_view value) {
  ValueReader in(value);
  ConversationState s;
  s.customer_id = in.Opt<std::string>();
  s.run_start = in.Opt<int64_t>();
  uint64_t n = in.U64();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    int64_t hour = in.I64();
    uint8_t kinds = in.U8();
    s.hour_kinds.emplace_back(hour, kinds);
  }
  return in.ok() ? s : ConversationState{};
}

std::string EncodeCustomerMonth(const CustomerMonth& m) {
  ValueWriter w;
  w.U64(m.days);
  for (uint64_t word : m.hours) w.U64(word);
  return w.Take();
}

CustomerMonth DecodeCustomerMonth(std::string_view value) {
  ValueReader in(value);
  CustomerMonth m;
  m.days = static_cast<uint32_t>(in.U64());
  for (uint64_t& word : m.hours) word = in.U64();
  return in.ok() ? m : CustomerMonth{};
}

std::string EncodeRoiConfig(const RoiConfig& c) {
  return ValueWriter().Opt(c.human_cost_per_hour).Opt(c.minutes_per_conversation).Opt(c.ai_cost_per_conversation).Take();
}

RoiConfig DecodeRoiConfig(std::string_view value) {
  ValueReader in(value);
  RoiConfig c;
  c.human_cost_per_hour = in.Opt<double>();
  c.minutes_per_conversation = in.Opt<double>();
  c.ai_cost_per_conversation = in.Opt<double>();
  return in.ok() ? c : RoiConfig{};
}

std::string StoreKeyPrefix(std::string_view store) {
  std::string key(store);
  key.push_back('\0');
  return key;
}

namespace {
std::string TagKey(std::string_view store, char tag) {
  std::string key = StoreKeyPrefix(store);
  key.push_back(tag);
  return key;
}
}  // namespace

std::string ConversationKey(std::string_view store, std::string_view conversation_id) {
  return TagKey(store, 'c').append(conversation_id);
}

std::string DayRowKey(std::string_view store, DayNum day) {
  std::string key = TagKey(store, 'd');
  PutOrderedI32(&key, day);
  return key;
}

std::string HourRowKey(std::string_view store, int64_t hour) {
  std::string key = TagKey(store, 'h');
  PutOrderedI64(&key, hour);
  return key;
}

std::string HistogramDayPrefix(std::string_view store, DayNum day) {
  std::string key = TagKey(store, 'r');
  PutOrderedI32(&key, day);
  return key;
}

std::string HistogramKey(std::string_view store, DayNum day, uint64_t bucket) {
  std::string key = HistogramDayPrefix(store, day);
  PutBigEndian64(&key, bucket);
  return key;
}

std::string CustomerMonthKey(std::string_view store, DayNum month_start, std::string_view customer_id) {
  std::string key = TagKey(store, 'K');
  PutOrderedI32(&key, month_start);
  return key.append(customer_id);
}

std::string CustomerYearKey(std::string_view store, DayNum year_start, std::string_view customer_id) {
  std::string key = TagKey(store, 'k');
  PutOrderedI32(&key, year_start);
  return key.append(customer_id);
}

std::string UniqueCustomersKey(std::string_view store, Granularity granularity, int64_t bucket) {
  std::string key = TagKey(store, 'u');
  key.push_back(static_cast<char>(granularity));
  PutOrderedI64(&key, bucket);
  return key;
}

std::string RoiConfigKey(std::string_view store) { return TagKey(store, 'p'); }

DayNum BucketStart(Granularity granularity, DayNum day) {
  switch (granularity) {
    case Granularity::kWeek: return IsoWeekStart(day);
    case Granularity::kMonth: return MonthStart(day);
    case Granularity::kQuarter: return QuarterStart(day);
    case Granularity::kYear: return YearStart(day);
    default: return day;
  }
}

}  // namespace tally
