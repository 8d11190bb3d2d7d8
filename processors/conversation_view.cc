#include "processors/conversation_view.h"

#include <vector>

#include "core/json_writer.h"
#include "processors/quality_state.h"

namespace tally {

using quality::ConversationDay;
using quality::ConversationRecord;
using quality::DailyAnalysis;

namespace {

// Every analysis_date of the conversation, ascending, joined with that day's message summary (same row).
Result<std::vector<DailyAnalysis>> LoadAnalyses(const ViewReader& view, std::string_view store, std::string_view conv,
                                                const ConversationRecord& record, const CsiWeights& weights) {
  std::vector<DailyAnalysis> out;
  for (DayNum day : record.analysis_dates) {
    Result<std::optional<std::string>> raw = view.Get(quality::ConversationDayKey(store, day, conv));
    if (!raw.ok()) return raw.status();
    std::optional<ConversationDay> d = *raw ? ConversationDay::Decode(**raw) : std::nullopt;
    if (!d || !d->analysis) continue;
    out.push_back(quality::DeriveAnalysis(day, *d->analysis, d->summary, weights));
  }
  return out;
}

void WriteQuality(JsonWriter& w, const std::optional<quality::QualityScore>& q) {
  w.Key("quality");
  if (!q) {
    w.Null();
    return;
  }
  w.BeginObject().Field("overall", q->overall).Field("helpfulness", q->helpfulness);
  w.Field("accuracy", q->accuracy).Field("politeness", q->politeness);
  w.Field("scored_at", FormatRfc3339(q->scored_at)).EndObject();
}

void WriteAnalysis(JsonWriter& w, const DailyAnalysis& d) {
  w.BeginObject().Field("analysis_date", FormatDate(d.date));
  w.Field("sentiment_score", d.scores.sentiment_score).Field("sentiment_shift", d.scores.sentiment_shift);
  w.Field("resolution_achieved", d.scores.resolution_achieved).Field("fcr_score", d.scores.fcr_score);
  w.Field("ces", d.scores.ces);
  w.Field("first_response_time_s", d.first_response_time_s).Field("avg_response_time_s", d.avg_response_time_s);
  w.Field("total_handling_time_min", d.total_handling_time_min);
  w.Field("effectiveness", d.effectiveness).Field("effort", d.effort).Field("efficiency", d.efficiency);
  w.Field("empathy", d.empathy).Field("csi", d.csi).EndObject();
}

}  // namespace

Result<std::string> ConversationJson(const ViewReader& view, std::string_view store_id,
                                     std::string_view conversation_id) {
  Result<std::optional<std::string>> raw = view.Get(quality::ConversationKey(store_id, conversation_id));
  if (!raw.ok()) return raw.status();
  if (!raw.value()) return Status(Code::kNotFound, "no event names conversation " + std::string(conversation_id));
  std::optional<ConversationRecord> c = ConversationRecord::Decode(**raw);
  if (!c) return Status(Code::kCorruption, "quality: bad conversation row");
  Result<CsiWeights> weights = quality::ReadCsiWeights(view, store_id);
  if (!weights.ok()) return weights.status();
  Result<std::vector<DailyAnalysis>> analyses = LoadAnalyses(view, store_id, conversation_id, *c, *weights);
  if (!analyses.ok()) return analyses.status();

  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("as_of_seq", view.as_of_seq()).Field("conversation_id", conversation_id);
  w.Field("customer_id", c->customer_id);
  w.Key("started_at");
  if (c->started_at)
    w.String(FormatRfc3339(*c->started_at));
  else
    w.Null();
  w.Field("status", quality::StatusName(c->status));
  w.Field("total_messages", c->total_messages).Field("customer_messages", c->customer_messages);
  w.Field("agent_messages", c->agent_messages).Field("first_response_time_ms", c->first_response_ms);
  WriteQuality(w, c->quality);
  w.Key("daily_analysis").BeginArray();
  for (const DailyAnalysis& d : *analyses) WriteAnalysis(w, d);
  w.EndArray().EndObject();
  return out;
}

}  // namespace tally
