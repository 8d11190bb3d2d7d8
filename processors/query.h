// The query API of every view: one function per HTTP route, each returning the exact JSON body the HTTP API
// serves (or, for export as CSV, the CSV text). The HTTP layer, `tally query` and the golden tests all call
// these, so an answer is byte-identical whichever way it is asked for.
//
// Errors: kBadParameter (HTTP 400) with a message naming the parameter; kNotFound (404) where a route says so;
// kUnavailable (503) when min_seq was not reached in time; storage errors pass through.
// Every view answer carries as_of_seq (the serving generation's offset in the query's snapshot); a store that
// never had an event answers zero-filled, never 404.
// Threading: thread-safe; a call may block up to QueryArgs::min_seq_timeout when min_seq is given.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "processors/engine.h"

namespace tally {

// One request's parameters, as the HTTP layer decoded them.
struct QueryArgs {
  std::string store;  // {store} from the path
  // Query-string parameters and the other path parameters (percent-decoded), by name: "from", "to",
  // "min_seq", ... Path parameters use the names "conversation_id", "shell_file_id", "topic".
  std::map<std::string, std::string, std::less<>> params;
  TimeMs now_ms = 0;  // the server's clock, for defaults such as ROI's `to` (today, UTC)
  std::chrono::milliseconds min_seq_timeout{5000};

  std::optional<std::string_view> Param(std::string_view name) const {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

using QueryFn = Result<std::string> (*)(const ViewEngine& engine, const QueryArgs& args);

// A route of the query API. `name` is what `tally query` and golden tests use; `view` is the view it reads —
// the only one: the HTTP answer cache (net/answer_cache.h) keys a route's answers by that view's version.
struct QueryRoute {
  std::string_view name;
  std::string_view view;
  QueryFn fn;
};

// Every route, in a fixed order (add a line in query.cc to add one).
const std::vector<QueryRoute>& QueryRoutes();
const QueryRoute* FindQueryRoute(std::string_view name);
// Runs route `name`; kNotFound for an unknown route.
Result<std::string> RunQuery(const ViewEngine& engine, std::string_view name, const QueryArgs& args);

// --- The routes ---------------------------------------------------------------------------------------------
// GET /v1/stores/{store}/daily_metrics?from=D&to=D                       (CONTRACT §3.2)
Result<std::string> QueryDailyMetrics(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/metrics?period=day|week|month|quarter|year&date=D  (§3.3; date defaults to today)
Result<std::string> QueryPeriodMetrics(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/trends?from=D&to=D&granularity=hour|day|week|month  (§3.4; granularity default day)
Result<std::string> QueryTrends(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/roi?period_days=N&to=D[&human_cost_per_hour=..&minutes_per_conversation=..
//     &ai_cost_per_conversation=..]                                          (§3.5)
Result<std::string> QueryRoi(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/export?from=D&to=D&format=csv|json              (§3.10; format default json)
// JSON: an array of §3.2 rows (Content-Type application/json); CSV: RFC 4180 with CRLF line ends and a
// header row (Content-Type text/csv). The HTTP layer picks the content type from ExportIsCsv(args).
Result<std::string> QueryExport(const ViewEngine& engine, const QueryArgs& args);
bool ExportIsCsv(const QueryArgs& args);

// --- Helpers for route implementations ----------------------------------------------------------------------
// Honours min_seq (waits up to args.min_seq_timeout, then kUnavailable) and opens a consistent read of `view`.
Result<ViewRead> BeginQuery(const ViewEngine& engine, std::string_view view, const QueryArgs& args);
// A required YYYY-MM-DD parameter.
Result<DayNum> RequiredDateParam(const QueryArgs& args, std::string_view name);
// An optional YYYY-MM-DD parameter, else `fallback`.
Result<DayNum> DateParamOr(const QueryArgs& args, std::string_view name, DayNum fallback);
// from/to, both required, from <= to, at most max_days days long.
struct DayRange {
  DayNum from;
  DayNum to;
};
Result<DayRange> DayRangeParams(const QueryArgs& args, int64_t max_days);
// An optional integer in [min, max], else fallback.
Result<int64_t> IntParamOr(const QueryArgs& args, std::string_view name, int64_t fallback, int64_t min, int64_t max);
// An optional finite number >= 0.
Result<std::optional<double>> NonNegativeParam(const QueryArgs& args, std::string_view name);
// One of `choices`, else fallback.
Result<std::string> ChoiceParam(const QueryArgs& args, std::string_view name, std::string_view fallback,
                                const std::vector<std::string_view>& choices);
Status BadParameter(std::string_view name, std::string_view why);

constexpr int64_t kMaxRangeDays = 3660;

}  // namespace tally
