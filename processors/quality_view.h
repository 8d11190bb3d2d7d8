// The "quality" view (CONTRACT §3.6): daily quality_scored averages with the day's average CSI, and the
// conversation detail (conversation_view.h) — one view, because both read the same per-(conversation, day)
// message summaries and analyses. State layout: processors/quality_state.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "processors/processor.h"
#include "processors/view_reader.h"

namespace tally {

class QualityProcessor final : public Processor {
 public:
  static constexpr std::string_view kName = "quality";
  std::string_view name() const override { return kName; }
  // 2: a conversation's day summary and that date's analysis share one row ('D' day conv); layout 1 had a
  // summary row, an analysis row and an index row.
  uint32_t layout_version() const override { return 2; }
  void Apply(uint64_t seq, const Event& event, FoldState& state) override;
};

// `{"as_of_seq", "days": [{date, scored_events, avg_overall, avg_helpfulness, avg_accuracy, avg_politeness,
// avg_csi}…]}` with a row for every day in [from, to]; averages null without data. CSI uses the store's
// latest csi_weights as of the reader's snapshot. REQUIRES from <= to (range checks are the caller's).
// Errors: storage read failures only.
Result<std::string> QualityDaysJson(const ViewReader& view, std::string_view store_id, DayNum from, DayNum to);

}  // namespace tally
