// The state the "quality" view folds (CONTRACT §3.6), shared by its fold (quality_view.cc) and its two queries
// (quality days, conversation detail). Private to processors/.
//
// Key layout, under StoreKey(store_id, kind):
//   'W'                              -> latest csi_weights (4 doubles)
//   'Q' day                          -> QualityDay: quality_scored count and score sums of that occurred_at day
//   'C' conv                         -> ConversationRecord (with the dates the conversation was analysed for)
//   'D' day conv                     -> ConversationDay: the DaySummary of that conversation's messages that day
//                                       and the latest analysis_scored whose analysis_date is that day
// conv is AppendOrderedString(conversation_id); day is DayKeyPart(DayNum). Layout 2 of the view: layout 1 kept
// the summary ('S' conv day), the analysis ('A' conv date) and an index of the conversations analysed for a date
// ('a' date conv) in three rows; now a day's average CSI is one scan of that day's rows, without a look-up per
// conversation, and the detail finds its analyses through the record's dates.
//
// Pillars and CSI are derived at read time from the stored inputs, so a later csi_weights, message or
// analysis changes the answer without refolding anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "core/time.h"
#include "processors/decimal_sum.h"
#include "processors/view_codec.h"
#include "processors/view_reader.h"

namespace tally::quality {

enum class ConversationStatus : uint8_t { kOpen = 0, kResolved = 1, kEscalated = 2, kAbandoned = 3 };
std::string_view StatusName(ConversationStatus status);

struct QualityScore {
  double overall = 0, helpfulness = 0, accuracy = 0, politeness = 0;
  TimeMs scored_at = 0;
};

struct ConversationRecord {
  std::optional<std::string> customer_id;  // fixed by the first conversation_started
  std::optional<TimeMs> started_at;
  ConversationStatus status = ConversationStatus::kOpen;
  uint64_t total_messages = 0, customer_messages = 0, agent_messages = 0;
  std::optional<TimeMs> open_run_start;  // first customer message since the last agent/ai message
  std::optional<int64_t> first_response_ms;
  std::optional<QualityScore> quality;  // latest quality_scored
  // Every analysis_date of the conversation's analysis_scored events, ascending, each once. A conversation is
  // analysed for a few dates, so the list stays short (4 bytes a date).
  std::vector<DayNum> analysis_dates;

  std::string Encode() const;
  static std::optional<ConversationRecord> Decode(std::string_view value);
};

// Constant-size summary of one conversation's messages on one day, counting only that day's messages.
struct DaySummary {
  uint64_t messages = 0;
  TimeMs first_at = 0, last_at = 0;  // min / max occurred_at of the day's messages
  std::optional<TimeMs> open_run_start;
  std::optional<int64_t> first_response_ms;
  int64_t response_sum_ms = 0;
  uint64_t responses = 0;
};

struct AnalysisScores {
  double sentiment_score = 0, sentiment_shift = 0, resolution_achieved = 0, fcr_score = 0, ces = 0;
};

// One conversation on one day: its messages of that day (all zero when it had none) and the latest analysis for
// that analysis_date, if any.
struct ConversationDay {
  DaySummary summary;
  std::optional<AnalysisScores> analysis;

  std::string Encode() const;
  static std::optional<ConversationDay> Decode(std::string_view value);
};

struct QualityDay {
  uint64_t scored = 0;
  DecimalSum overall, helpfulness, accuracy, politeness;

  std::string Encode() const;
  static std::optional<QualityDay> Decode(std::string_view value);
};

std::string EncodeWeights(const CsiWeights& w);
// The store's latest csi_weights in the reader's snapshot (defaults when never configured).
Result<CsiWeights> ReadCsiWeights(const ViewReader& view, std::string_view store);
std::optional<CsiWeights> DecodeWeights(std::string_view value);

// Keys (see the layout above).
std::string WeightsKey(std::string_view store);
std::string QualityDayKey(std::string_view store, DayNum day);
std::string ConversationKey(std::string_view store, std::string_view conv);
std::string ConversationDayKey(std::string_view store, DayNum day, std::string_view conv);
std::string ConversationDayPrefix(std::string_view store, DayNum day);

// One daily_analysis entry, derived (§3.6).
struct DailyAnalysis {
  DayNum date = 0;
  AnalysisScores scores;
  std::optional<double> first_response_time_s, avg_response_time_s, total_handling_time_min;
  double effectiveness = 0, effort = 0, empathy = 0;
  std::optional<double> efficiency;
  std::optional<double> csi;
};

// summary: the conversation's message summary for that date (all zero when it had no messages that day).
DailyAnalysis DeriveAnalysis(DayNum date, const AnalysisScores& scores, const DaySummary& summary,
                             const CsiWeights& weights);

}  // namespace tally::quality
