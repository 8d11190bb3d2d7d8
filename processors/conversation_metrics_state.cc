#include "processors/conversation_metrics_state.h"

#include <algorithm>
#include <cstring>

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
  ValueWriter w(11 * sizeof(uint64_t));
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
  ValueWriter w(3 * 9 + (s.customer_id ? s.customer_id->size() : 0) + 9 * s.hour_kinds.size());
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

std::string EncodeCustomerYear(const CustomerYear& year) {
  uint16_t mask = 0;
  for (size_t m = 0; m < year.months.size(); ++m) {
    if (year.months[m].days != 0) mask = static_cast<uint16_t>(mask | (1u << m));
  }
  ValueWriter w(2 + size_t{104} * static_cast<size_t>(std::popcount(mask)));
  w.U16(mask);
  for (const CustomerMonth& month : year.months) {
    if (month.days == 0) continue;
    w.U64(month.days);
    for (uint64_t word : month.hours) w.U64(word);
  }
  return w.Take();
}

CustomerYear DecodeCustomerYear(std::string_view value) {
  CustomerYear year;
  if (value.size() < 2) return year;
  uint16_t mask;
  std::memcpy(&mask, value.data(), 2);
  if (mask >= (1u << 12) || value.size() != 2 + size_t{104} * static_cast<size_t>(std::popcount(mask))) return year;
  ValueReader in(value.substr(2));
  for (size_t m = 0; m < year.months.size(); ++m) {
    if (!(mask & (1u << m))) continue;
    CustomerMonth& month = year.months[m];
    month.days = static_cast<uint32_t>(in.U64());
    for (uint64_t& word : month.hours) word = in.U64();
    if (month.days == 0) return CustomerYear{};  // a seen month has a day
  }
  return year;
}

std::string EncodeRoiConfig(const RoiConfig& c) {
  return ValueWriter()
      .Opt(c.human_cost_per_hour)
      .Opt(c.minutes_per_conversation)
      .Opt(c.ai_cost_per_conversation)
      .Take();
}

RoiConfig DecodeRoiConfig(std::string_view value) {
  ValueReader in(value);
  RoiConfig c;
  c.human_cost_per_hour = in.Opt<double>();
  c.minutes_per_conversation = in.Opt<double>();
  c.ai_cost_per_conversation = in.Opt<double>();
  return in.ok() ? c : RoiConfig{};
}

uint32_t ResponseBucketIndex(uint64_t ms) {
  if (ms < 256) return static_cast<uint32_t>(ms);
  int width = std::bit_width(ms);    // 9..64
  uint64_t top = ms >> (width - 8);  // 128..255
  return 256 + static_cast<uint32_t>(width - 9) * 128 + static_cast<uint32_t>(top - 128);
}

uint64_t ResponseBucketLowerBound(uint32_t index) {
  if (index < 256) return index;
  uint32_t power = (index - 256) / 128;  // the bucket is 2^(power + 1) wide
  return (uint64_t{128} + (index - 256) % 128) << (power + 1);
}

namespace {

constexpr size_t kHistogramHeader = 4;
constexpr size_t kNarrowCell = 16;
constexpr size_t kWideCell = 24;
constexpr uint32_t kFirstWideIndex = 256 + 32 * 128;  // from 2^40 ms on, a bucket is wider than 2^32
constexpr uint64_t kCountUnit = uint64_t{1} << 16;    // a cell's head is index | count << 16

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
void Store(char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

uint32_t NarrowCells(std::string_view row) { return Load<uint32_t>(row.data()); }

bool ValidHistogram(std::string_view row) {
  if (row.size() < kHistogramHeader) return false;
  uint64_t narrow_bytes = uint64_t{NarrowCells(row)} * kNarrowCell;
  if (narrow_bytes > row.size() - kHistogramHeader) return false;
  return (row.size() - kHistogramHeader - narrow_bytes) % kWideCell == 0;
}

// The first cell in [begin, begin + cells * width) whose index is not below `index` (cells are sorted).
size_t LowerBoundCell(const char* data, size_t begin, size_t cells, size_t width, uint32_t index) {
  size_t lo = 0, hi = cells;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if ((Load<uint64_t>(data + begin + mid * width) & 0xFFFF) < index) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return begin + lo * width;
}

// Narrow cells keep min and max as offsets from the bucket's lower bound; wide cells keep them whole.
template <typename Field>
void UpdateCell(char* cell, Field value) {
  Store<uint64_t>(cell, Load<uint64_t>(cell) + kCountUnit);
  Store<Field>(cell + 8, std::min(Load<Field>(cell + 8), value));
  Store<Field>(cell + 8 + sizeof(Field), std::max(Load<Field>(cell + 8 + sizeof(Field)), value));
}

template <typename Field>
void InsertCell(std::string* row, size_t at, uint32_t index, Field value) {
  char cell[8 + 2 * sizeof(Field)];
  Store<uint64_t>(cell, index | kCountUnit);
  Store<Field>(cell + 8, value);
  Store<Field>(cell + 8 + sizeof(Field), value);
  row->insert(at, cell, sizeof cell);
}

}  // namespace

void AddToDayHistogram(std::string* row, uint64_t response_ms) {
  if (!ValidHistogram(*row)) row->assign(kHistogramHeader, '\0');
  uint32_t index = ResponseBucketIndex(response_ms);
  uint32_t narrow = NarrowCells(*row);
  if (index < kFirstWideIndex) {
    auto offset = static_cast<uint32_t>(response_ms - ResponseBucketLowerBound(index));
    size_t at = LowerBoundCell(row->data(), kHistogramHeader, narrow, kNarrowCell, index);
    if (at < kHistogramHeader + narrow * kNarrowCell && (Load<uint64_t>(row->data() + at) & 0xFFFF) == index) {
      UpdateCell<uint32_t>(row->data() + at, offset);
      return;
    }
    InsertCell<uint32_t>(row, at, index, offset);
    Store<uint32_t>(row->data(), narrow + 1);
    return;
  }
  size_t begin = kHistogramHeader + narrow * kNarrowCell;
  size_t wide = (row->size() - begin) / kWideCell;
  size_t at = LowerBoundCell(row->data(), begin, wide, kWideCell, index);
  if (at < row->size() && (Load<uint64_t>(row->data() + at) & 0xFFFF) == index) {
    UpdateCell<uint64_t>(row->data() + at, response_ms);
    return;
  }
  InsertCell<uint64_t>(row, at, index, response_ms);
}

namespace {

// Calls on_cell(count, min, max) for each cell of an encoded day histogram in ascending bucket order, until it
// returns false. A narrow cell's bound is computed only when asked for (min_of/max_of), so a walk that only
// counts does no bucket arithmetic. Before each narrow cell, skip(at, narrow_end) may move the walk past cells
// it has accounted for itself (it returns the offset of the next cell to visit, at most narrow_end).
template <typename OnCell, typename Skip>
void WalkCells(std::string_view row, OnCell on_cell, Skip skip) {
  if (!ValidHistogram(row)) return;
  size_t narrow_end = kHistogramHeader + size_t{NarrowCells(row)} * kNarrowCell;
  for (size_t at = skip(kHistogramHeader, narrow_end); at < narrow_end; at = skip(at + kNarrowCell, narrow_end)) {
    const char* cell = row.data() + at;
    uint64_t head = Load<uint64_t>(cell);
    auto lower = [head] { return ResponseBucketLowerBound(static_cast<uint32_t>(head & 0xFFFF)); };
    auto min_of = [&] { return lower() + Load<uint32_t>(cell + 8); };
    auto max_of = [&] { return lower() + Load<uint32_t>(cell + 12); };
    if (!on_cell(head / kCountUnit, min_of, max_of)) return;
  }
  for (size_t at = narrow_end; at < row.size(); at += kWideCell) {
    const char* cell = row.data() + at;
    auto min_of = [cell] { return Load<uint64_t>(cell + 8); };
    auto max_of = [cell] { return Load<uint64_t>(cell + 16); };
    if (!on_cell(Load<uint64_t>(cell) / kCountUnit, min_of, max_of)) return;
  }
}

template <typename OnCell>
void WalkCells(std::string_view row, OnCell on_cell) {
  WalkCells(row, on_cell, [](size_t at, size_t) { return at; });
}

}  // namespace

void DecodeDayHistogram(std::string_view row, std::vector<HistogramCell>* cells) {
  cells->clear();
  WalkCells(row, [&](uint64_t count, auto min_of, auto max_of) {
    cells->push_back({count, min_of(), max_of()});
    return true;
  });
}

void DayHistogramRanks(std::string_view row, std::span<const uint64_t> ranks, std::span<uint64_t> values) {
  size_t next = 0;  // the first rank not answered yet
  uint64_t seen = 0;
  // Narrow cells that end before the next rank are only counted, four at a time: a day's row has ~100-800
  // cells and daily_metrics asks for its median and 90th percentile, so most cells are passed over. Counting
  // them one by one (a dependent add and two compares per cell) was ~10 % of an uncached daily_metrics
  // query's CPU.
  auto skip = [&](size_t at, size_t narrow_end) {
    if (next == ranks.size()) return at;
    for (const char* data = row.data(); at + 4 * kNarrowCell <= narrow_end; at += 4 * kNarrowCell) {
      const char* cells = data + at;
      const uint64_t block = Load<uint64_t>(cells) / kCountUnit + Load<uint64_t>(cells + kNarrowCell) / kCountUnit +
                             Load<uint64_t>(cells + 2 * kNarrowCell) / kCountUnit +
                             Load<uint64_t>(cells + 3 * kNarrowCell) / kCountUnit;
      if (seen + block >= ranks[next]) break;
      seen += block;
    }
    return at;
  };
  WalkCells(
      row,
      [&](uint64_t count, auto min_of, auto max_of) {
        seen += count;
        for (; next < ranks.size() && ranks[next] <= seen; ++next) {
          values[next] = ranks[next] == seen ? max_of() : min_of();
        }
        return next < ranks.size();
      },
      skip);
  if (next == ranks.size()) return;
  // Ranks past the end (the row holds fewer values than the caller counted): a second walk finds the last cell.
  uint64_t last_max = 0;
  WalkCells(row, [&](uint64_t, auto, auto max_of) {
    last_max = max_of();
    return true;
  });
  for (; next < ranks.size(); ++next) values[next] = last_max;
}

namespace {

constexpr size_t kMetricsBytes = 11 * 8;  // EncodeMetricsRow's fixed width
constexpr size_t kHourEntry = 1 + kMetricsBytes;

// The fields of a MetricsRow in EncodeMetricsRow's order (the sum as its two's-complement bits).
std::array<uint64_t, 11> Fields(const MetricsRow& r) {
  return {r.total_conversations,
          r.resolved_conversations,
          r.escalated_conversations,
          r.abandoned_conversations,
          r.ai_resolved_conversations,
          r.total_messages,
          r.customer_messages,
          r.agent_messages,
          r.responses,
          static_cast<uint64_t>(r.response_time_sum_ms),
          r.unique_customers};
}

void AddInPlace(char* at, const MetricsRow& delta) {
  std::array<uint64_t, 11> add = Fields(delta);
  for (size_t i = 0; i < add.size(); ++i) Store<uint64_t>(at + 8 * i, Load<uint64_t>(at + 8 * i) + add[i]);
}

// Well formed: the day's counters, then whole hour entries with hours ascending and below 24.
bool ValidDayRow(std::string_view row) {
  if (row.size() < kMetricsBytes || (row.size() - kMetricsBytes) % kHourEntry != 0) return false;
  int previous = -1;
  for (size_t at = kMetricsBytes; at < row.size(); at += kHourEntry) {
    auto hour = static_cast<unsigned char>(row[at]);
    if (hour >= 24 || int{hour} <= previous) return false;
    previous = hour;
  }
  return true;
}

}  // namespace

void AddToDayRow(std::string* row, int hour_of_day, const MetricsRow& day, const MetricsRow& hour) {
  if (!ValidDayRow(*row)) row->assign(kMetricsBytes, '\0');
  AddInPlace(row->data(), day);
  size_t at = kMetricsBytes;
  while (at < row->size() && static_cast<unsigned char>((*row)[at]) < hour_of_day) at += kHourEntry;
  if (at == row->size() || static_cast<unsigned char>((*row)[at]) != hour_of_day) {
    char entry[kHourEntry] = {};
    entry[0] = static_cast<char>(hour_of_day);
    row->insert(at, entry, sizeof entry);
  }
  AddInPlace(row->data() + at + 1, hour);
}

MetricsRow DayRowTotals(std::string_view row) {
  if (!ValidDayRow(row)) return {};
  return DecodeMetricsRow(row.substr(0, kMetricsBytes));
}

void DayRowHours(std::string_view row, std::array<MetricsRow, 24>* hours) {
  hours->fill(MetricsRow{});
  if (!ValidDayRow(row)) return;
  for (size_t at = kMetricsBytes; at < row.size(); at += kHourEntry) {
    (*hours)[static_cast<unsigned char>(row[at])] = DecodeMetricsRow(row.substr(at + 1, kMetricsBytes));
  }
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

std::string HistogramKey(std::string_view store, DayNum day) {
  std::string key = TagKey(store, 'r');
  PutOrderedI32(&key, day);
  return key;
}

std::string CustomerYearKey(std::string_view store, DayNum year_start, std::string_view customer_id) {
  std::string key = TagKey(store, 'Y');
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
    case Granularity::kWeek:
      return IsoWeekStart(day);
    case Granularity::kMonth:
      return MonthStart(day);
    case Granularity::kQuarter:
      return QuarterStart(day);
    case Granularity::kYear:
      return YearStart(day);
    default:
      return day;
  }
}

}  // namespace tally
