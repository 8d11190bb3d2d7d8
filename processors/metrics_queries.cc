// Queries of the conversation_metrics view: daily_metrics, metrics, trends, roi, export.
#include <algorithm>
#include <array>
#include <vector>

#include "core/event.h"
#include "core/json_writer.h"
#include "processors/conversation_metrics.h"
#include "processors/conversation_metrics_state.h"
#include "processors/query.h"

namespace tally {
namespace {

constexpr std::string_view kView = ConversationMetricsProcessor::kName;

struct DailyRow {
  DayNum date;
  MetricsRow row;
  uint64_t p50 = 0;
  uint64_t p90 = 0;
};

// Calls on_row(day - from, value) for each stored day row of [from, to], in day order.
template <typename OnRow>
Status ScanDayRows(const ViewReader& reader, std::string_view store, DayNum from, DayNum to, OnRow on_row) {
  size_t prefix = DayRowKey(store, from).size() - 4;
  return reader.Scan(DayRowKey(store, from), DayRowKey(store, to + 1), [&](std::string_view k, std::string_view v) {
    on_row(static_cast<size_t>(GetOrderedI32(k.substr(prefix)) - from), v);
    return true;
  });
}

// Day totals of [from, to], zero-filled, index = day - from.
Result<std::vector<MetricsRow>> ReadDayRows(const ViewReader& reader, std::string_view store, DayNum from, DayNum to) {
  std::vector<MetricsRow> rows(static_cast<size_t>(to - from + 1));
  Status scanned =
      ScanDayRows(reader, store, from, to, [&](size_t day, std::string_view v) { rows[day] = DayRowTotals(v); });
  if (!scanned.ok()) return scanned;
  return rows;
}

// The ⌈num/den · n⌉-th smallest of n values (0 for none).
uint64_t NearestRank(uint64_t n, uint64_t num, uint64_t den) { return (num * n + den - 1) / den; }

// One histogram row per day ('r' <day>), so the range is one scan of at most a row per day.
Result<std::vector<DailyRow>> ReadDailyRows(const ViewReader& reader, std::string_view store, DayRange range) {
  auto rows = ReadDayRows(reader, store, range.from, range.to);
  if (!rows.ok()) return rows.status();
  std::vector<DailyRow> out;
  out.reserve(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) out.push_back(DailyRow{static_cast<DayNum>(range.from + i), (*rows)[i]});
  size_t prefix = HistogramKey(store, range.from).size() - 4;
  Status scanned = reader.Scan(HistogramKey(store, range.from), HistogramKey(store, range.to + 1),
                               [&](std::string_view k, std::string_view v) {
                                 DailyRow& day = out[static_cast<size_t>(GetOrderedI32(k.substr(prefix)) - range.from)];
                                 const uint64_t n = day.row.responses;
                                 if (n == 0) return true;
                                 const uint64_t ranks[2] = {NearestRank(n, 1, 2), NearestRank(n, 9, 10)};
                                 uint64_t values[2];
                                 DayHistogramRanks(v, ranks, values);
                                 day.p50 = values[0];
                                 day.p90 = values[1];
                                 return true;
                               });
  if (!scanned.ok()) return scanned;
  return out;
}

double AvgResponse(const MetricsRow& row) {
  return row.responses == 0 ? 0.0 : static_cast<double>(row.response_time_sum_ms) / static_cast<double>(row.responses);
}

double Ratio(uint64_t count, uint64_t total) {
  return total == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(total);
}

void WriteDailyRow(JsonWriter& w, const DailyRow& d) {
  const MetricsRow& r = d.row;
  w.BeginObject().Field("date", FormatDate(d.date));
  w.Field("total_conversations", r.total_conversations).Field("resolved_conversations", r.resolved_conversations);
  w.Field("escalated_conversations", r.escalated_conversations).Field("abandoned_conversations", r.abandoned_conversations);
  w.Field("ai_resolved_conversations", r.ai_resolved_conversations).Field("total_messages", r.total_messages);
  w.Field("customer_messages", r.customer_messages).Field("agent_messages", r.agent_messages);
  w.Field("responses", r.responses).Field("avg_response_time_ms", AvgResponse(r));
  w.Field("p50_response_time_ms", d.p50).Field("p90_response_time_ms", d.p90);
  w.Field("unique_customers", r.unique_customers).EndObject();
}

// The fields of ConversationMetrics (§3.3) for counters summed over a period and its distinct customers.
void WriteConversationMetrics(JsonWriter& w, const MetricsRow& r, uint64_t unique_customers) {
  w.Field("total_conversations", r.total_conversations).Field("resolved_conversations", r.resolved_conversations);
  w.Field("escalated_conversations", r.escalated_conversations).Field("abandoned_conversations", r.abandoned_conversations);
  w.Field("resolution_rate", Ratio(r.resolved_conversations, r.total_conversations));
  w.Field("escalation_rate", Ratio(r.escalated_conversations, r.total_conversations));
  w.Field("abandonment_rate", Ratio(r.abandoned_conversations, r.total_conversations));
  w.Field("avg_response_time_ms", AvgResponse(r));
  w.Field("avg_conversation_length", Ratio(r.total_messages, r.total_conversations));
  w.Field("unique_customers", unique_customers);
}

MetricsRow SumRows(const std::vector<MetricsRow>& rows, size_t begin, size_t end) {
  MetricsRow sum;
  for (size_t i = begin; i < end && i < rows.size(); ++i) sum.Add(rows[i]);
  return sum;
}

// Distinct customers of a calendar bucket: days (and hours) carry theirs in the row, longer buckets in a
// counter of their own (a sum of days would count a returning customer twice).
Result<uint64_t> UniqueCustomers(const ViewReader& reader, std::string_view store, Granularity g, DayNum start,
                                 const MetricsRow& sum) {
  if (g == Granularity::kDay || g == Granularity::kHour) return sum.unique_customers;
  auto value = reader.Get(UniqueCustomersKey(store, g, start));
  if (!value.ok()) return value.status();
  return value.value() ? ValueReader(*value.value()).U64() : uint64_t{0};
}

struct Period {
  DayNum start;
  DayNum end;
};

Period PeriodOf(Granularity g, DayNum day) {
  switch (g) {
    case Granularity::kWeek: return {IsoWeekStart(day), IsoWeekStart(day) + 6};
    case Granularity::kMonth: return {MonthStart(day), NextMonthStart(day) - 1};
    case Granularity::kQuarter: return {QuarterStart(day), NextQuarterStart(day) - 1};
    case Granularity::kYear: return {YearStart(day), NextYearStart(day) - 1};
    default: return {day, day};
  }
}

Granularity GranularityFromName(std::string_view name) {
  if (name == "hour") return Granularity::kHour;
  if (name == "week") return Granularity::kWeek;
  if (name == "month") return Granularity::kMonth;
  if (name == "quarter") return Granularity::kQuarter;
  if (name == "year") return Granularity::kYear;
  return Granularity::kDay;
}

// Writes {"...ConversationMetrics"} of one period under `key`.
Result<uint64_t> WritePeriodMetrics(JsonWriter& w, std::string_view key, const ViewReader& reader,
                                    std::string_view store, Granularity g, Period p) {
  auto rows = ReadDayRows(reader, store, p.start, p.end);
  if (!rows.ok()) return rows.status();
  MetricsRow sum = SumRows(*rows, 0, rows->size());
  auto unique = UniqueCustomers(reader, store, g, p.start, sum);
  if (!unique.ok()) return unique.status();
  w.Key(key).BeginObject();
  WriteConversationMetrics(w, sum, *unique);
  w.EndObject();
  return sum.total_conversations;
}

Status WriteHourBuckets(JsonWriter& w, const ViewReader& reader, std::string_view store, DayRange range) {
  int64_t first = int64_t{range.from} * 24;
  int64_t last = (int64_t{range.to} + 1) * 24 - 1;
  std::vector<MetricsRow> rows(static_cast<size_t>(last - first + 1));
  // The hours live in their day's row (conversation_metrics_state.h).
  std::array<MetricsRow, 24> hours;
  Status scanned = ScanDayRows(reader, store, range.from, range.to, [&](size_t day, std::string_view v) {
    DayRowHours(v, &hours);
    std::copy(hours.begin(), hours.end(), rows.begin() + static_cast<std::ptrdiff_t>(day * 24));
  });
  if (!scanned.ok()) return scanned;
  for (int64_t hour = first; hour <= last; ++hour) {
    const MetricsRow& row = rows[static_cast<size_t>(hour - first)];
    w.BeginObject().Field("start", FormatRfc3339(hour * kMsPerHour)).Field("end", FormatRfc3339((hour + 1) * kMsPerHour));
    WriteConversationMetrics(w, row, row.unique_customers);
    w.EndObject();
  }
  return Status::Ok();
}

// Every whole day/week/month bucket overlapping the range, each summed over all of its days.
Status WriteDayBuckets(JsonWriter& w, const ViewReader& reader, std::string_view store, Granularity g, DayRange range) {
  std::vector<Period> buckets;
  for (DayNum start = BucketStart(g, range.from); start <= range.to;) {
    buckets.push_back(PeriodOf(g, start));
    start = buckets.back().end + 1;
  }
  DayNum first = buckets.front().start;
  auto rows = ReadDayRows(reader, store, first, buckets.back().end);
  if (!rows.ok()) return rows.status();
  for (const Period& p : buckets) {
    MetricsRow sum = SumRows(*rows, static_cast<size_t>(p.start - first), static_cast<size_t>(p.end - first + 1));
    auto unique = UniqueCustomers(reader, store, g, p.start, sum);
    if (!unique.ok()) return unique.status();
    w.BeginObject().Field("start", FormatDate(p.start)).Field("end", FormatDate(p.end));
    WriteConversationMetrics(w, sum, *unique);
    w.EndObject();
  }
  return Status::Ok();
}

void WriteCsv(std::string& out, const std::vector<DailyRow>& days) {
  out += "date,total_conversations,resolved_conversations,escalated_conversations,abandoned_conversations,"
         "ai_resolved_conversations,total_messages,customer_messages,agent_messages,responses,"
         "avg_response_time_ms,p50_response_time_ms,p90_response_time_ms,unique_customers\r\n";
  for (const DailyRow& d : days) {
    const MetricsRow& r = d.row;
    out += FormatDate(d.date);
    for (uint64_t n : {r.total_conversations, r.resolved_conversations, r.escalated_conversations,
                       r.abandoned_conversations, r.ai_resolved_conversations, r.total_messages, r.customer_messages,
                       r.agent_messages, r.responses}) {
      out += ',' + std::to_string(n);
    }
    out += ',' + FormatDouble(AvgResponse(r));
    for (uint64_t n : {d.p50, d.p90, r.unique_customers}) out += ',' + std::to_string(n);
    out += "\r\n";
  }
}

}  // namespace

Result<std::string> QueryDailyMetrics(const ViewEngine& engine, const QueryArgs& args) {
  auto range = DayRangeParams(args, kMaxRangeDays);
  if (!range.ok()) return range.status();
  auto read = BeginQuery(engine, kView, args);
  if (!read.ok()) return read.status();
  auto days = ReadDailyRows(read->reader, args.store, *range);
  if (!days.ok()) return days.status();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("store_id", args.store).Field("from", FormatDate(range->from));
  w.Field("to", FormatDate(range->to)).Field("as_of_seq", read->reader.as_of_seq());
  w.Key("days").BeginArray();
  for (const DailyRow& d : *days) WriteDailyRow(w, d);
  w.EndArray().EndObject();
  return out;
}

Result<std::string> QueryPeriodMetrics(const ViewEngine& engine, const QueryArgs& args) {
  auto period = ChoiceParam(args, "period", "day", {"day", "week", "month", "quarter", "year"});
  if (!period.ok()) return period.status();
  auto date = DateParamOr(args, "date", DayOf(args.now_ms));
  if (!date.ok()) return date.status();
  auto read = BeginQuery(engine, kView, args);
  if (!read.ok()) return read.status();
  Granularity g = GranularityFromName(*period);
  Period current = PeriodOf(g, *date);
  Period previous = PeriodOf(g, current.start - 1);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("period", *period).Field("start", FormatDate(current.start)).Field("end", FormatDate(current.end));
  w.Field("previous_start", FormatDate(previous.start)).Field("previous_end", FormatDate(previous.end));
  w.Field("as_of_seq", read->reader.as_of_seq());
  auto cur = WritePeriodMetrics(w, "metrics", read->reader, args.store, g, current);
  if (!cur.ok()) return cur.status();
  auto prev = WritePeriodMetrics(w, "previous_period", read->reader, args.store, g, previous);
  if (!prev.ok()) return prev.status();
  double growth = *prev == 0 ? (*cur > 0 ? 1.0 : 0.0)
                             : (static_cast<double>(*cur) - static_cast<double>(*prev)) / static_cast<double>(*prev);
  w.Field("growth_rate", growth).EndObject();
  return out;
}

Result<std::string> QueryTrends(const ViewEngine& engine, const QueryArgs& args) {
  auto name = ChoiceParam(args, "granularity", "day", {"hour", "day", "week", "month"});
  if (!name.ok()) return name.status();
  Granularity g = GranularityFromName(*name);
  auto range = DayRangeParams(args, g == Granularity::kHour ? 31 : kMaxRangeDays);
  if (!range.ok()) return range.status();
  auto read = BeginQuery(engine, kView, args);
  if (!read.ok()) return read.status();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("as_of_seq", read->reader.as_of_seq()).Key("buckets").BeginArray();
  Status written = g == Granularity::kHour ? WriteHourBuckets(w, read->reader, args.store, *range)
                                           : WriteDayBuckets(w, read->reader, args.store, g, *range);
  if (!written.ok()) return written;
  w.EndArray().EndObject();
  return out;
}

namespace {

// The three ROI settings as the query string gives them (each may be absent).
struct RoiOverrides {
  std::optional<double> hourly, minutes, ai_per;
};

Result<RoiOverrides> RoiOverrideParams(const QueryArgs& args) {
  RoiOverrides o;
  for (auto [name, field] : {std::pair{"human_cost_per_hour", &RoiOverrides::hourly},
                             std::pair{"minutes_per_conversation", &RoiOverrides::minutes},
                             std::pair{"ai_cost_per_conversation", &RoiOverrides::ai_per}}) {
    auto value = NonNegativeParam(args, name);
    if (!value.ok()) return value.status();
    o.*field = *value;
  }
  return o;
}

void WriteRoi(JsonWriter& w, const MetricsRow& sum, double hourly, double minutes, double ai_per) {
  double total = static_cast<double>(sum.total_conversations);
  double ai_resolved = static_cast<double>(sum.ai_resolved_conversations);
  // Money is rounded to whole micro-dollars and combined as integers, so 14.7 / 0.4 reads 3675, not
  // 3674.999999999999.
  int64_t human_cost = ToMicros(total * minutes / 60 * hourly);
  int64_t ai_cost = ToMicros(total * ai_per);
  int64_t savings = ToMicros(ai_resolved * minutes / 60 * hourly) - ToMicros(ai_resolved * ai_per);
  w.Field("human_cost_per_hour", hourly).Field("minutes_per_conversation", minutes);
  w.Field("ai_cost_per_conversation", ai_per).Field("total_conversations", sum.total_conversations);
  w.Field("ai_resolved_conversations", sum.ai_resolved_conversations);
  w.Field("human_agent_cost", FromMicros(human_cost)).Field("ai_cost", FromMicros(ai_cost));
  w.Field("savings", FromMicros(savings));
  w.Field("roi_percentage", ai_cost == 0 ? 0.0 : static_cast<double>(savings) / static_cast<double>(ai_cost) * 100);
}

}  // namespace

Result<std::string> QueryRoi(const ViewEngine& engine, const QueryArgs& args) {
  auto days = IntParamOr(args, "period_days", 30, 1, 365);
  if (!days.ok()) return days.status();
  auto to = DateParamOr(args, "to", DayOf(args.now_ms));
  if (!to.ok()) return to.status();
  auto overrides = RoiOverrideParams(args);
  if (!overrides.ok()) return overrides.status();
  auto read = BeginQuery(engine, kView, args);
  if (!read.ok()) return read.status();
  auto stored = read->reader.Get(RoiConfigKey(args.store));
  if (!stored.ok()) return stored.status();
  RoiConfig config = stored.value() ? DecodeRoiConfig(*stored.value()) : RoiConfig{};
  DayNum from = static_cast<DayNum>(*to - *days + 1);
  auto rows = ReadDayRows(read->reader, args.store, from, *to);
  if (!rows.ok()) return rows.status();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("from", FormatDate(from)).Field("to", FormatDate(*to)).Field("period_days", *days);
  // A query parameter wins over the store's latest store_configured, which wins over the default.
  WriteRoi(w, SumRows(*rows, 0, rows->size()), overrides->hourly.value_or(config.human_cost_per_hour.value_or(25.0)),
           overrides->minutes.value_or(config.minutes_per_conversation.value_or(8.0)),
           overrides->ai_per.value_or(config.ai_cost_per_conversation.value_or(0.05)));
  w.Field("as_of_seq", read->reader.as_of_seq()).EndObject();
  return out;
}

bool ExportIsCsv(const QueryArgs& args) { return args.Param("format") == std::optional<std::string_view>("csv"); }

Result<std::string> QueryExport(const ViewEngine& engine, const QueryArgs& args) {
  auto format = ChoiceParam(args, "format", "json", {"json", "csv"});
  if (!format.ok()) return format.status();
  auto range = DayRangeParams(args, kMaxRangeDays);
  if (!range.ok()) return range.status();
  auto read = BeginQuery(engine, kView, args);
  if (!read.ok()) return read.status();
  auto days = ReadDailyRows(read->reader, args.store, *range);
  if (!days.ok()) return days.status();
  std::string out;
  if (*format == "csv") {
    WriteCsv(out, *days);
    return out;
  }
  JsonWriter w(&out);
  w.BeginArray();
  for (const DailyRow& d : *days) WriteDailyRow(w, d);
  w.EndArray();
  return out;
}

}  // namespace tally
