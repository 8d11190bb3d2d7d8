// State layout of the conversation_metrics view (CONTRACT §3.1–§3.5, §3.10), shared by its processor and its
// queries. All keys are relative to the view generation and start with the store: "<store_id>" 0x00 <tag> …
//   'c' <conversation_id>                          ConversationState (customer, open customer run)
//   'd' <day i32>                                  MetricsRow for a UTC day
//   'h' <hour i64>                                 MetricsRow for a UTC hour
//   'r' <day i32> <bucket lower bound u64>         response-time histogram count of that day (u64)
//   'm' <granularity u8> <bucket i64> <kind u8> <id>   first-seen marker (empty value)
//   'u' <granularity u8> <bucket i64>              distinct customers of a week/month/quarter/year (u64)
//   'p'                                            RoiConfig: the latest store_configured ROI fields
// Integers in keys are big-endian with the sign bit flipped, so a scan runs in time order.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/time.h"

namespace tally {

enum class Granularity : uint8_t { kHour = 0, kDay = 1, kWeek = 2, kMonth = 3, kQuarter = 4, kYear = 5 };
enum class MarkerKind : uint8_t {
  kStarted = 0,
  kResolved = 1,
  kEscalated = 2,
  kAbandoned = 3,
  kAiResolved = 4,
  kCustomer = 5,
};

// Counters of one day or hour. Response times are summed exactly in integer milliseconds.
struct MetricsRow {
  uint64_t total_conversations = 0;
  uint64_t resolved_conversations = 0;
  uint64_t escalated_conversations = 0;
  uint64_t abandoned_conversations = 0;
  uint64_t ai_resolved_conversations = 0;
  uint64_t total_messages = 0;
  uint64_t customer_messages = 0;
  uint64_t agent_messages = 0;
  uint64_t responses = 0;
  int64_t response_time_sum_ms = 0;
  uint64_t unique_customers = 0;

  void Add(const MetricsRow& o);
  bool IsZero() const { return *this == MetricsRow{}; }
  bool operator==(const MetricsRow&) const = default;
};

std::string EncodeMetricsRow(const MetricsRow& row);
MetricsRow DecodeMetricsRow(std::string_view value);  // a missing or short value decodes as zeros

struct ConversationState {
  std::optional<std::string> customer_id;  // fixed by the first conversation_started
  std::optional<TimeMs> run_start;         // first customer message since the last agent/ai message
};
std::string EncodeConversationState(const ConversationState& state);
ConversationState DecodeConversationState(std::string_view value);

struct RoiConfig {
  std::optional<double> human_cost_per_hour;
  std::optional<double> minutes_per_conversation;
  std::optional<double> ai_cost_per_conversation;
};
std::string EncodeRoiConfig(const RoiConfig& config);
RoiConfig DecodeRoiConfig(std::string_view value);

// Response-time histogram bucket: values below 256 ms are exact; above, the bucket keeps the top 8 bits, so
// its width is at most 1/128 (< 1 %) of its lower bound. The bucket is named by its lower bound, which is
// what a percentile reports.
inline uint64_t ResponseBucket(uint64_t ms) {
  if (ms < 256) return ms;
  int shift = std::bit_width(ms) - 8;
  return (ms >> shift) << shift;
}

// Key builders.
std::string StoreKeyPrefix(std::string_view store);
std::string ConversationKey(std::string_view store, std::string_view conversation_id);
std::string DayRowKey(std::string_view store, DayNum day);
std::string HourRowKey(std::string_view store, int64_t hour);
std::string HistogramDayPrefix(std::string_view store, DayNum day);
std::string HistogramKey(std::string_view store, DayNum day, uint64_t bucket);
std::string MarkerKey(std::string_view store, Granularity granularity, int64_t bucket, MarkerKind kind,
                      std::string_view id);
std::string UniqueCustomersKey(std::string_view store, Granularity granularity, int64_t bucket);
std::string RoiConfigKey(std::string_view store);

// The first day of the week/month/quarter/year containing day.
DayNum BucketStart(Granularity granularity, DayNum day);

}  // namespace tally
