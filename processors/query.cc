#include "processors/query.h"

#include <charconv>
#include <cmath>

#include "processors/insight_queries.h"

namespace tally {

const std::vector<QueryRoute>& QueryRoutes() {
  static const std::vector<QueryRoute> routes = {
      {"daily_metrics", "conversation_metrics", &QueryDailyMetrics},
      {"metrics", "conversation_metrics", &QueryPeriodMetrics},
      {"trends", "conversation_metrics", &QueryTrends},
      {"roi", "conversation_metrics", &QueryRoi},
      {"export", "conversation_metrics", &QueryExport},
      {"quality", "quality", &QueryQuality},
      {"conversation", "quality", &QueryConversation},
      {"content_gaps", "content_gaps", &QueryContentGaps},
      {"file", "files", &QueryFile},
      {"files", "files", &QueryFiles},
      {"usage_daily", "usage", &QueryUsageDaily},
      {"usage_monthly", "usage", &QueryUsageMonthly},
  };
  return routes;
}

const QueryRoute* FindQueryRoute(std::string_view name) {
  for (const QueryRoute& route : QueryRoutes()) {
    if (route.name == name) return &route;
  }
  return nullptr;
}

Result<std::string> RunQuery(const ViewEngine& engine, std::string_view name, const QueryArgs& args) {
  const QueryRoute* route = FindQueryRoute(name);
  if (!route) return Status(Code::kNotFound, "no query named " + std::string(name));
  return route->fn(engine, args);
}

Status BadParameter(std::string_view name, std::string_view why) {
  return Status(Code::kBadParameter, std::string(name) + ": " + std::string(why));
}

namespace {

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

Result<ViewRead> BeginQuery(const ViewEngine& engine, std::string_view view, const QueryArgs& args) {
  if (auto min_seq = args.Param("min_seq")) {
    auto seq = ParseUint(*min_seq);
    if (!seq) return BadParameter("min_seq", "must be a non-negative integer");
    if (Status reached = engine.WaitFor(view, *seq, args.min_seq_timeout); !reached.ok()) return reached;
  }
  return engine.Read(view);
}

Result<DayNum> RequiredDateParam(const QueryArgs& args, std::string_view name) {
  auto text = args.Param(name);
  if (!text) return BadParameter(name, "is required (YYYY-MM-DD)");
  auto day = ParseDate(*text);
  if (!day) return BadParameter(name, "must be a date YYYY-MM-DD");
  return *day;
}

Result<DayNum> DateParamOr(const QueryArgs& args, std::string_view name, DayNum fallback) {
  if (!args.Param(name)) return fallback;
  return RequiredDateParam(args, name);
}

Result<DayRange> DayRangeParams(const QueryArgs& args, int64_t max_days) {
  auto from = RequiredDateParam(args, "from");
  if (!from.ok()) return from.status();
  auto to = RequiredDateParam(args, "to");
  if (!to.ok()) return to.status();
  if (*from > *to) return BadParameter("from", "must not be after to");
  if (int64_t{*to} - *from + 1 > max_days) {
    return BadParameter("to", "range is longer than " + std::to_string(max_days) + " days");
  }
  return DayRange{*from, *to};
}

Result<int64_t> IntParamOr(const QueryArgs& args, std::string_view name, int64_t fallback, int64_t min, int64_t max) {
  auto text = args.Param(name);
  if (!text) return fallback;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return BadParameter(name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

Result<std::optional<double>> NonNegativeParam(const QueryArgs& args, std::string_view name) {
  auto text = args.Param(name);
  if (!text) return std::optional<double>();
  double value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || !std::isfinite(value) ||
      value < 0) {
    return BadParameter(name, "must be a finite number >= 0");
  }
  return std::optional<double>(value);
}

Result<std::string> ChoiceParam(const QueryArgs& args, std::string_view name, std::string_view fallback,
                                const std::vector<std::string_view>& choices) {
  auto text = args.Param(name);
  if (!text) return std::string(fallback);
  for (std::string_view choice : choices) {
    if (*text == choice) return std::string(choice);
  }
  std::string allowed;
  for (std::string_view choice : choices) allowed += (allowed.empty() ? "" : "|") + std::string(choice);
  return BadParameter(name, "must be one of " + allowed);
}

}  // namespace tally
