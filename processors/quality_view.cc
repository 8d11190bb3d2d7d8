#include "processors/quality_view.h"

#include <algorithm>

#include "core/json_writer.h"
#include "processors/quality_state.h"

namespace tally {

using quality::AnalysisScores;
using quality::ConversationDay;
using quality::ConversationRecord;
using quality::ConversationStatus;
using quality::DaySummary;
using quality::QualityDay;

namespace {

template <typename T>
T LoadOr(FoldState& state, const std::string& key) {
  std::optional<std::string_view> raw = state.Get(key);
  if (!raw) return T{};
  std::optional<T> decoded = T::Decode(*raw);
  return decoded ? *decoded : T{};
}

// A response (§3.1) ends a run of customer messages; its time is measured from the run's first message and a
// negative time is not counted. Shared by the conversation-wide and the per-day summaries.
std::optional<int64_t> CloseRun(std::optional<TimeMs>& open_run_start, TimeMs at) {
  if (!open_run_start) return std::nullopt;
  int64_t elapsed = at - *open_run_start;
  open_run_start.reset();
  if (elapsed < 0) return std::nullopt;
  return elapsed;
}

void ApplyMessageToConversation(ConversationRecord& c, bool from_customer, TimeMs at) {
  ++c.total_messages;
  if (from_customer) {
    ++c.customer_messages;
    if (!c.open_run_start) c.open_run_start = at;
    return;
  }
  ++c.agent_messages;
  std::optional<int64_t> response = CloseRun(c.open_run_start, at);
  if (response && !c.first_response_ms) c.first_response_ms = response;
}

void ApplyMessageToDay(DaySummary& s, bool from_customer, TimeMs at) {
  if (s.messages == 0) {
    s.first_at = s.last_at = at;
  } else {
    s.first_at = std::min(s.first_at, at);
    s.last_at = std::max(s.last_at, at);
  }
  ++s.messages;
  if (from_customer) {
    if (!s.open_run_start) s.open_run_start = at;
    return;
  }
  std::optional<int64_t> response = CloseRun(s.open_run_start, at);
  if (!response) return;
  if (!s.first_response_ms) s.first_response_ms = response;
  s.response_sum_ms += *response;
  ++s.responses;
}

void ApplyMessage(const Event& e, ConversationRecord& c, FoldState& state) {
  bool from_customer = e.sender == Sender::kCustomer;
  ApplyMessageToConversation(c, from_customer, e.occurred_at_ms);
  std::string key = quality::ConversationDayKey(e.store_id, DayOf(e.occurred_at_ms), *e.conversation_id);
  ConversationDay d = LoadOr<ConversationDay>(state, key);
  ApplyMessageToDay(d.summary, from_customer, e.occurred_at_ms);
  state.Put(key, d.Encode());
}

void ApplyQualityScore(const Event& e, ConversationRecord& c, FoldState& state) {
  quality::QualityScore q{*e.overall, *e.helpfulness, *e.accuracy, *e.politeness, e.occurred_at_ms};
  c.quality = q;
  std::string key = quality::QualityDayKey(e.store_id, DayOf(e.occurred_at_ms));
  QualityDay d = LoadOr<QualityDay>(state, key);
  ++d.scored;
  d.overall.Add(q.overall);
  d.helpfulness.Add(q.helpfulness);
  d.accuracy.Add(q.accuracy);
  d.politeness.Add(q.politeness);
  state.Put(key, d.Encode());
}

// The analysis joins that date's message summary in one row; the record lists the date for the detail.
void ApplyAnalysis(const Event& e, ConversationRecord& c, FoldState& state) {
  const DayNum date = *e.analysis_date;
  auto at = std::lower_bound(c.analysis_dates.begin(), c.analysis_dates.end(), date);
  if (at == c.analysis_dates.end() || *at != date) c.analysis_dates.insert(at, date);
  std::string key = quality::ConversationDayKey(e.store_id, date, *e.conversation_id);
  ConversationDay d = LoadOr<ConversationDay>(state, key);
  d.analysis = AnalysisScores{*e.sentiment_score, *e.sentiment_shift, *e.resolution_achieved, *e.fcr_score, *e.ces};
  state.Put(key, d.Encode());
}

// Folds one event that names a conversation into its record (creating it: any such event makes the
// conversation known to the detail route) and the rows the event type feeds.
void ApplyConversationEvent(const Event& e, FoldState& state) {
  std::string key = quality::ConversationKey(e.store_id, *e.conversation_id);
  ConversationRecord c = LoadOr<ConversationRecord>(state, key);
  switch (e.type) {
    case EventType::kConversationStarted:
      if (!c.started_at) {
        c.started_at = e.occurred_at_ms;
        c.customer_id = e.customer_id;
      }
      break;
    case EventType::kMessageSent:
      ApplyMessage(e, c, state);
      break;
    case EventType::kConversationResolved:
      c.status = ConversationStatus::kResolved;
      break;
    case EventType::kConversationEscalated:
      c.status = ConversationStatus::kEscalated;
      break;
    case EventType::kConversationAbandoned:
      c.status = ConversationStatus::kAbandoned;
      break;
    case EventType::kQualityScored:
      ApplyQualityScore(e, c, state);
      break;
    case EventType::kAnalysisScored:
      ApplyAnalysis(e, c, state);
      break;
    default:
      break;
  }
  state.Put(key, c.Encode());
}

}  // namespace

void QualityProcessor::Apply(uint64_t /*seq*/, const Event& event, FoldState& state) {
  if (event.type == EventType::kStoreConfigured) {
    if (event.csi_weights) state.Put(quality::WeightsKey(event.store_id), quality::EncodeWeights(*event.csi_weights));
    return;
  }
  if (event.conversation_id) ApplyConversationEvent(event, state);
}

namespace {

// Mean CSI of the conversations analysed for `day` (null when none has a CSI): one scan of the day's
// conversation rows, each holding its analysis (if any) beside that day's message summary.
Result<std::optional<double>> AverageCsi(const ViewReader& view, std::string_view store, DayNum day,
                                         const CsiWeights& weights) {
  DecimalSum sum;
  uint64_t n = 0;
  Status scan = view.ScanPrefix(quality::ConversationDayPrefix(store, day), [&](std::string_view, std::string_view v) {
    std::optional<ConversationDay> d = ConversationDay::Decode(v);
    if (!d || !d->analysis) return true;
    std::optional<double> csi = quality::DeriveAnalysis(day, *d->analysis, d->summary, weights).csi;
    if (csi) {
      sum.Add(*csi);
      ++n;
    }
    return true;
  });
  if (!scan.ok()) return scan;
  if (n == 0) return std::optional<double>();
  return std::optional<double>(sum.Mean(n));
}

void WriteQualityRow(JsonWriter& w, DayNum day, const QualityDay& d, std::optional<double> csi) {
  auto mean = [&](const DecimalSum QualityDay::*field) -> std::optional<double> {
    if (d.scored == 0) return std::nullopt;
    return (d.*field).Mean(d.scored);
  };
  w.BeginObject().Field("date", FormatDate(day));
  w.Field("scored_events", d.scored);
  w.Field("avg_overall", mean(&QualityDay::overall));
  w.Field("avg_helpfulness", mean(&QualityDay::helpfulness));
  w.Field("avg_accuracy", mean(&QualityDay::accuracy));
  w.Field("avg_politeness", mean(&QualityDay::politeness));
  w.Field("avg_csi", csi);
  w.EndObject();
}

}  // namespace

Result<std::string> QualityDaysJson(const ViewReader& view, std::string_view store_id, DayNum from, DayNum to) {
  Result<CsiWeights> weights = quality::ReadCsiWeights(view, store_id);
  if (!weights.ok()) return weights.status();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("as_of_seq", view.as_of_seq()).Key("days").BeginArray();
  for (DayNum day = from; day <= to; ++day) {
    Result<std::optional<std::string>> raw = view.Get(quality::QualityDayKey(store_id, day));
    if (!raw.ok()) return raw.status();
    QualityDay d;
    if (raw.value()) d = QualityDay::Decode(**raw).value_or(QualityDay{});
    Result<std::optional<double>> csi = AverageCsi(view, store_id, day, *weights);
    if (!csi.ok()) return csi.status();
    WriteQualityRow(w, day, d, *csi);
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace tally
