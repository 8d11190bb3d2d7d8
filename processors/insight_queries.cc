#include "processors/insight_queries.h"

#include "processors/content_gaps_view.h"
#include "processors/conversation_view.h"
#include "processors/files_view.h"
#include "processors/quality_view.h"
#include "processors/usage_view.h"

namespace tally {

namespace {

constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;

Result<std::string_view> RequiredPathParam(const QueryArgs& args, std::string_view name) {
  std::optional<std::string_view> value = args.Param(name);
  if (!value || value->empty()) return BadParameter(name, "is required");
  return *value;
}

struct Page {
  size_t limit;
  std::optional<std::string_view> cursor;
};

Result<Page> PageParams(const QueryArgs& args) {
  Result<int64_t> limit = IntParamOr(args, "limit", kDefaultLimit, 1, kMaxLimit);
  if (!limit.ok()) return limit.status();
  return Page{static_cast<size_t>(*limit), args.Param("cursor")};
}

}  // namespace

Result<std::string> QueryQuality(const ViewEngine& engine, const QueryArgs& args) {
  Result<DayRange> range = DayRangeParams(args, kMaxRangeDays);
  if (!range.ok()) return range.status();
  Result<ViewRead> read = BeginQuery(engine, QualityProcessor::kName, args);
  if (!read.ok()) return read.status();
  return QualityDaysJson(read->reader, args.store, range->from, range->to);
}

Result<std::string> QueryConversation(const ViewEngine& engine, const QueryArgs& args) {
  Result<std::string_view> id = RequiredPathParam(args, "conversation_id");
  if (!id.ok()) return id.status();
  Result<ViewRead> read = BeginQuery(engine, QualityProcessor::kName, args);
  if (!read.ok()) return read.status();
  return ConversationJson(read->reader, args.store, *id);
}

Result<std::string> QueryContentGaps(const ViewEngine& engine, const QueryArgs& args) {
  std::optional<GapStatus> status;
  if (std::optional<std::string_view> text = args.Param("status")) {
    status = GapStatusFromName(*text);
    if (!status) return BadParameter("status", "must be one of identified|in_progress|resolved");
  }
  Result<Page> page = PageParams(args);
  if (!page.ok()) return page.status();
  Result<ViewRead> read = BeginQuery(engine, ContentGapsProcessor::kName, args);
  if (!read.ok()) return read.status();
  return ContentGapsJson(read->reader, args.store, status, page->limit, page->cursor);
}

Result<std::string> QueryFile(const ViewEngine& engine, const QueryArgs& args) {
  Result<std::string_view> id = RequiredPathParam(args, "shell_file_id");
  if (!id.ok()) return id.status();
  Result<ViewRead> read = BeginQuery(engine, FilesProcessor::kName, args);
  if (!read.ok()) return read.status();
  return FileJson(read->reader, args.store, *id);
}

Result<std::string> QueryFiles(const ViewEngine& engine, const QueryArgs& args) {
  std::optional<std::string_view> status = args.Param("status");
  if (status && !IsFileStatus(*status)) {
    return BadParameter("status", "must be one of failed|complete_pipeline|pass1_pass2|pass1_only|pending");
  }
  Result<Page> page = PageParams(args);
  if (!page.ok()) return page.status();
  Result<ViewRead> read = BeginQuery(engine, FilesProcessor::kName, args);
  if (!read.ok()) return read.status();
  return FilesJson(read->reader, args.store, status, page->limit, page->cursor);
}

Result<std::string> QueryUsageDaily(const ViewEngine& engine, const QueryArgs& args) {
  Result<DayRange> range = DayRangeParams(args, kMaxRangeDays);
  if (!range.ok()) return range.status();
  Result<ViewRead> read = BeginQuery(engine, UsageProcessor::kName, args);
  if (!read.ok()) return read.status();
  return UsageDailyJson(read->reader, args.store, range->from, range->to);
}

Result<std::string> QueryUsageMonthly(const ViewEngine& engine, const QueryArgs& args) {
  std::optional<std::string_view> text = args.Param("month");
  if (!text) return BadParameter("month", "is required (YYYY-MM)");
  std::optional<DayNum> month = ParseMonth(*text);
  if (!month) return BadParameter("month", "must be a month YYYY-MM");
  Result<ViewRead> read = BeginQuery(engine, UsageProcessor::kName, args);
  if (!read.ok()) return read.status();
  return UsageMonthlyJson(read->reader, args.store, *month);
}

}  // namespace tally
