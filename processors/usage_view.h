// The "usage" view (CONTRACT §3.9): token and cost usage per day and per (month, profile), from
// usage_recorded and every pass_completed (retries included; service "ai_pipeline", operation "passN").
// Money is summed in integer micro-dollars so totals are exact whatever the order.
//
// Key layout, under StoreKey(store_id, kind) (processors/view_codec.h):
//   'D' day service operation          -> UsageTotals of that (date, service, operation)
//   'M' month profile                  -> MonthTotals (month = DayNum of its first day; profile "" if absent)
//   'm' month profile shell_file_id    -> "" (first-seen marker: the file already counts in files_processed)
// Strings are AppendOrderedString-encoded, days DayKeyPart, so scans come out sorted as the answer wants.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "processors/processor.h"
#include "processors/view_reader.h"

namespace tally {

class UsageProcessor final : public Processor {
 public:
  static constexpr std::string_view kName = "usage";
  std::string_view name() const override { return kName; }
  void Apply(uint64_t seq, const Event& event, FoldState& state) override;
};

// `{"as_of_seq", "rows": [{date, service, operation, count, total_tokens, total_cost_usd}…]}`: the (date,
// service, operation) rows with data in [from, to], sorted by those. Errors: storage read failures.
Result<std::string> UsageDailyJson(const ViewReader& view, std::string_view store_id, DayNum from, DayNum to);

// `{"as_of_seq", "rows": [{profile_id, operations, total_tokens, total_cost_usd, files_processed}…]}` for the
// month containing `month`, sorted by profile_id. Errors: storage read failures.
Result<std::string> UsageMonthlyJson(const ViewReader& view, std::string_view store_id, DayNum month);

}  // namespace tally
