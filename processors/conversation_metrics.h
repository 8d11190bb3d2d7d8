// conversation_metrics: the view behind daily_metrics, metrics (periods), trends, roi and export
// (CONTRACT §3.1–§3.5, §3.10). Folds conversation events into per-day counters (with the day's hours in the same row),
// a per-day response-time histogram, first-seen markers for exact distinct counts, and the store's ROI settings. It
// keeps its own conversation → customer map and open customer runs (§3.1), so it can be rebuilt alone. State layout:
// conversation_metrics_state.h.
#pragma once

#include "processors/processor.h"

namespace tally {

class ConversationMetricsProcessor final : public Processor {
 public:
  static constexpr std::string_view kName = "conversation_metrics";
  std::string_view name() const override { return kName; }
  // 2: a day's response-time histogram is one row ('r' <day>); layout 1 had a row per bucket.
  // 3: a day's row holds its hours' counters too; layouts 1–2 had a row per hour ('h' <hour>).
  // 4: a customer's presence is one row per year ('Y'); layouts 1–3 had a row per month ('K') and per year ('k').
  uint32_t layout_version() const override { return 4; }
  void Apply(uint64_t seq, const Event& event, FoldState& state) override;
};

}  // namespace tally
