// State layout of the conversation_metrics view (CONTRACT §3.1–§3.5, §3.10), shared by its processor and its
// queries. All keys are relative to the view generation and start with the store: "<store_id>" 0x00 <tag> …
//   'c' <conversation_id>                   ConversationState: customer, open customer run, and the hours in
//                                           which it had each kind of outcome (distinct counts per hour/day)
//   'd' <day i32>                           DayRow: the MetricsRow of a UTC day and of each of its hours with
//                                           data (layout 3; layouts 1–2 kept each hour in its own row 'h')
//   'r' <day i32>                           that day's response-time histogram, one value (AddToDayHistogram)
//   'Y' <year start i32> <customer_id>      CustomerYear: the days and hours of that year the customer was seen
//                                           (layout 4; layouts 1–3 had a row per month 'K' and per year 'k')
//   'u' <granularity u8> <bucket i64>       distinct customers of a week/month/quarter/year (u64)
//   'p'                                     RoiConfig: the latest store_configured ROI fields
// Integers in keys are big-endian with the sign bit flipped, so a scan runs in time order.
//
// Exact distinct counts without one marker key per (bucket, id): a customer's presence is one row per year
// holding a fixed-size bitmap per month it was seen in (31 day bits, 744 hour bits), so "first time in this
// hour / day / week / month / quarter / year" is a few bit tests on one key (two for a week reaching into
// another year) that a chunk keeps in memory anyway.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// A day row ('d' <day>) holds the day's counters and those of every hour of the day that has any, so the fold
// edits one row per event instead of a day row and an hour row. Fixed width, little-endian like ValueWriter's,
// made for an in-place edit:
//   88 bytes      the day's MetricsRow, encoded as EncodeMetricsRow does
//   n x 89 bytes  one entry per hour with data, ascending: u8 hour of the day (0–23), then its MetricsRow
// A busy day is 88 + 24 × 89 = 2 224 bytes.
//
// Adds `day` to the day's counters and `hour` to those of hour_of_day (0–23) of an encoded day row (empty or
// malformed: starts a new one).
void AddToDayRow(std::string* row, int hour_of_day, const MetricsRow& day, const MetricsRow& hour);
// The day's counters of an encoded day row (zeros when malformed).
MetricsRow DayRowTotals(std::string_view row);
// The counters of each hour of the day (index = hour of the day) of an encoded day row, into *hours; hours
// without data, and every hour of a malformed row, are zeros.
void DayRowHours(std::string_view row, std::array<MetricsRow, 24>* hours);

struct ConversationState {
  std::optional<std::string> customer_id;  // fixed by the first conversation_started
  std::optional<TimeMs> run_start;         // first customer message since the last agent/ai message
  // (hour, bit set of MarkerKind) for every hour in which the conversation had a start or an outcome, sorted
  // by hour. A conversation has few such events, so the list stays short.
  std::vector<std::pair<int64_t, uint8_t>> hour_kinds;
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

// The same buckets numbered densely in ascending order: 0..255 are the exact values, then 128 buckets per power
// of two (7 424 buckets cover every u64). ResponseBucketLowerBound(ResponseBucketIndex(ms)) == ResponseBucket(ms).
uint32_t ResponseBucketIndex(uint64_t ms);
uint64_t ResponseBucketLowerBound(uint32_t index);

// One histogram bucket: how many response times fell in it, and the smallest and largest of them. A
// percentile whose rank lands on a bucket's first or last element is then exact; inside the bucket it is
// the bucket's smallest value, within 1 % of the true one.
struct HistogramCell {
  uint64_t count = 0;
  uint64_t min = 0;
  uint64_t max = 0;
  bool operator==(const HistogramCell&) const = default;
};

// A day's whole response-time histogram is ONE value (key 'r' <day>), so a query reads a day's percentiles
// with one iterator step instead of one per bucket. The fold changes one cell per response, so the layout is
// made for an in-place edit of the value (binary search, then overwrite or a 16-byte insert), not for size:
//   u32 n                        number of narrow cells
//   n x 16 bytes, narrow cells   buckets at most 2^32 ms wide (lower bound below 2^40 ms, ~35 years):
//                                u64 index | count << 16, u32 min - lower bound, u32 max - lower bound
//   m x 24 bytes, wide cells     the buckets above: u64 index | count << 16, u64 min, u64 max
// Each section is sorted by bucket index (every narrow index is below every wide one); fields are
// little-endian like ValueWriter's. The count has 48 bits. A busy loadgen day (~140 buckets) takes ~2.2 KB; a
// day whose responses fill every bucket from 1 s to 30 days, ~43 KB. (Layout 1 of the view, before
// Processor::layout_version existed, had one row per bucket: 'r' <day> <bucket lower bound u64>.)
//
// Adds one response time to an encoded day histogram (empty or malformed: starts a new one).
void AddToDayHistogram(std::string* row, uint64_t response_ms);
// The cells of an encoded day histogram in ascending bucket order, into *cells (cleared first). A malformed
// value has no cells.
void DecodeDayHistogram(std::string_view row, std::vector<HistogramCell>* cells);
// Nearest-rank values of an encoded day histogram in one walk of its cells, without decoding it: for each
// 1-based rank of `ranks` (ascending), the smallest value of the cell holding that rank, or the cell's largest
// when the rank is the cell's last (see HistogramCell). A rank past the last cell gets the last cell's largest
// value; an empty or malformed histogram gives 0. values[i] answers ranks[i].
void DayHistogramRanks(std::string_view row, std::span<const uint64_t> ranks, std::span<uint64_t> values);

struct CustomerMonth {
  uint32_t days = 0;                 // bit d: seen on day month_start + d
  std::array<uint64_t, 12> hours{};  // bit h: seen in hour month_start * 24 + h (744 hours at most)
  bool operator==(const CustomerMonth&) const = default;
};

// A customer's presence in one year: month m (0 = January) was seen iff months[m].days != 0. Encoded as a u16
// mask of the months seen, then each seen month's 104 bytes (u64 days, 12 u64 hour words) in month order —
// 106 bytes for a customer seen in one month, 1 250 for one seen every month.
struct CustomerYear {
  std::array<CustomerMonth, 12> months{};
  bool operator==(const CustomerYear&) const = default;
};
std::string EncodeCustomerYear(const CustomerYear& year);
CustomerYear DecodeCustomerYear(std::string_view value);  // a malformed value decodes as never seen

// Key builders.
std::string StoreKeyPrefix(std::string_view store);
std::string ConversationKey(std::string_view store, std::string_view conversation_id);
std::string DayRowKey(std::string_view store, DayNum day);
std::string HistogramKey(std::string_view store, DayNum day);
std::string CustomerYearKey(std::string_view store, DayNum year_start, std::string_view customer_id);
std::string UniqueCustomersKey(std::string_view store, Granularity granularity, int64_t bucket);
std::string RoiConfigKey(std::string_view store);

// The first day of the week/month/quarter/year containing day.
DayNum BucketStart(Granularity granularity, DayNum day);

}  // namespace tally
