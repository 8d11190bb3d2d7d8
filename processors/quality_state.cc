#include "processors/quality_state.h"

#include "core/bytes.h"

namespace tally::quality {

std::string_view StatusName(ConversationStatus status) {
  switch (status) {
    case ConversationStatus::kResolved:
      return "resolved";
    case ConversationStatus::kEscalated:
      return "escalated";
    case ConversationStatus::kAbandoned:
      return "abandoned";
    case ConversationStatus::kOpen:
      break;
  }
  return "open";
}

namespace {

// Every record starts with a version byte so a later layout can be told apart on rebuild.
constexpr uint8_t kVersion = 1;

template <typename T>
std::optional<T> Finish(ValueReader& r, T value) {
  if (!r.ok() || !r.done()) return std::nullopt;
  return value;
}

}  // namespace

std::string ConversationRecord::Encode() const {
  ValueWriter w(128 + (customer_id ? customer_id->size() : 0) + 4 * analysis_dates.size());
  w.U8(kVersion).Opt(customer_id).Opt(started_at).U8(static_cast<uint8_t>(status));
  w.U64(total_messages).U64(customer_messages).U64(agent_messages);
  w.Opt(open_run_start).Opt(first_response_ms).Bool(quality.has_value());
  if (quality) {
    w.F64(quality->overall).F64(quality->helpfulness).F64(quality->accuracy).F64(quality->politeness);
    w.I64(quality->scored_at);
  }
  w.U64(analysis_dates.size());
  for (DayNum day : analysis_dates) w.I32(day);
  return w.Take();
}

std::optional<ConversationRecord> ConversationRecord::Decode(std::string_view value) {
  ValueReader r(value);
  ConversationRecord c;
  if (r.U8() != kVersion) return std::nullopt;
  c.customer_id = r.Opt<std::string>();
  c.started_at = r.Opt<int64_t>();
  uint8_t status = r.U8();
  if (status > 3) return std::nullopt;
  c.status = static_cast<ConversationStatus>(status);
  c.total_messages = r.U64();
  c.customer_messages = r.U64();
  c.agent_messages = r.U64();
  c.open_run_start = r.Opt<int64_t>();
  c.first_response_ms = r.Opt<int64_t>();
  if (r.Bool()) {
    QualityScore q;
    q.overall = r.F64();
    q.helpfulness = r.F64();
    q.accuracy = r.F64();
    q.politeness = r.F64();
    q.scored_at = r.I64();
    c.quality = q;
  }
  uint64_t dates = r.U64();
  if (!r.ok() || dates > r.remaining() / sizeof(int32_t)) return std::nullopt;
  c.analysis_dates.resize(dates);
  for (DayNum& day : c.analysis_dates) day = r.I32();
  return Finish(r, std::move(c));
}

std::string ConversationDay::Encode() const {
  ValueWriter w(128);
  const DaySummary& s = summary;
  w.U8(kVersion).U64(s.messages).I64(s.first_at).I64(s.last_at).Opt(s.open_run_start).Opt(s.first_response_ms);
  w.I64(s.response_sum_ms).U64(s.responses).Bool(analysis.has_value());
  if (analysis) {
    const AnalysisScores& a = *analysis;
    w.F64(a.sentiment_score).F64(a.sentiment_shift).F64(a.resolution_achieved).F64(a.fcr_score).F64(a.ces);
  }
  return w.Take();
}

std::optional<ConversationDay> ConversationDay::Decode(std::string_view value) {
  ValueReader r(value);
  ConversationDay d;
  if (r.U8() != kVersion) return std::nullopt;
  DaySummary& s = d.summary;
  s.messages = r.U64();
  s.first_at = r.I64();
  s.last_at = r.I64();
  s.open_run_start = r.Opt<int64_t>();
  s.first_response_ms = r.Opt<int64_t>();
  s.response_sum_ms = r.I64();
  s.responses = r.U64();
  if (r.Bool()) {
    AnalysisScores a;
    a.sentiment_score = r.F64();
    a.sentiment_shift = r.F64();
    a.resolution_achieved = r.F64();
    a.fcr_score = r.F64();
    a.ces = r.F64();
    d.analysis = a;
  }
  return Finish(r, std::move(d));
}

std::string QualityDay::Encode() const {
  ValueWriter w(1 + 8 + 4 * 16);
  w.U8(kVersion).U64(scored);
  overall.Write(w);
  helpfulness.Write(w);
  accuracy.Write(w);
  politeness.Write(w);
  return w.Take();
}

std::optional<QualityDay> QualityDay::Decode(std::string_view value) {
  ValueReader r(value);
  QualityDay d;
  if (r.U8() != kVersion) return std::nullopt;
  d.scored = r.U64();
  d.overall = DecimalSum::Read(r);
  d.helpfulness = DecimalSum::Read(r);
  d.accuracy = DecimalSum::Read(r);
  d.politeness = DecimalSum::Read(r);
  return Finish(r, d);
}

std::string EncodeWeights(const CsiWeights& w) {
  ValueWriter v;
  v.U8(kVersion).F64(w.effectiveness).F64(w.effort).F64(w.efficiency).F64(w.empathy);
  return v.Take();
}

std::optional<CsiWeights> DecodeWeights(std::string_view value) {
  ValueReader r(value);
  CsiWeights w;
  if (r.U8() != kVersion) return std::nullopt;
  w.effectiveness = r.F64();
  w.effort = r.F64();
  w.efficiency = r.F64();
  w.empathy = r.F64();
  return Finish(r, w);
}

Result<CsiWeights> ReadCsiWeights(const ViewReader& view, std::string_view store) {
  Result<std::optional<std::string>> raw = view.Get(WeightsKey(store));
  if (!raw.ok()) return raw.status();
  if (!raw.value()) return CsiWeights{};
  std::optional<CsiWeights> w = DecodeWeights(**raw);
  if (!w) return Status(Code::kCorruption, "quality: bad csi_weights row");
  return *w;
}

std::string WeightsKey(std::string_view store) { return StoreKey(store, 'W'); }

std::string QualityDayKey(std::string_view store, DayNum day) { return StoreKey(store, 'Q') + DayKeyPart(day); }

std::string ConversationKey(std::string_view store, std::string_view conv) {
  std::string k = StoreKey(store, 'C');
  AppendOrderedString(&k, conv);
  return k;
}

std::string ConversationDayPrefix(std::string_view store, DayNum day) { return StoreKey(store, 'D') + DayKeyPart(day); }

std::string ConversationDayKey(std::string_view store, DayNum day, std::string_view conv) {
  std::string k = ConversationDayPrefix(store, day);
  AppendOrderedString(&k, conv);
  return k;
}

namespace {

// s(x, T) = 10 × T ÷ (T + x) (§3.6): 10 for an instant answer, halving at x = T.
double Speed(double x, double t) { return 10.0 * t / (t + x); }

std::optional<double> Efficiency(const DailyAnalysis& d) {
  ExactSum sum;
  int n = 0;
  auto add = [&](const std::optional<double>& x, double t) {
    if (!x) return;
    sum.Add(Speed(*x, t));
    ++n;
  };
  add(d.first_response_time_s, 60);
  add(d.avg_response_time_s, 60);
  if (d.total_handling_time_min) add(*d.total_handling_time_min * 60, 600);
  if (n == 0) return std::nullopt;
  return sum.Mean(n);
}

std::optional<double> Csi(const DailyAnalysis& d, const CsiWeights& w) {
  ExactSum num, den;
  auto add = [&](double weight, double pillar) {
    num.Add(weight * pillar);
    den.Add(weight);
  };
  add(w.effectiveness, d.effectiveness);
  add(w.effort, d.effort);
  if (d.efficiency) add(w.efficiency, *d.efficiency);
  add(w.empathy, d.empathy);
  if (den.Value() == 0) return std::nullopt;
  return num.Value() / den.Value();
}

}  // namespace

DailyAnalysis DeriveAnalysis(DayNum date, const AnalysisScores& scores, const DaySummary& summary,
                             const CsiWeights& weights) {
  DailyAnalysis d;
  d.date = date;
  d.scores = scores;
  if (summary.first_response_ms) d.first_response_time_s = static_cast<double>(*summary.first_response_ms) / 1000.0;
  if (summary.responses > 0) {
    d.avg_response_time_s =
        static_cast<double>(summary.response_sum_ms) / (static_cast<double>(summary.responses) * 1000.0);
  }
  if (summary.messages >= 2) {
    d.total_handling_time_min = static_cast<double>(summary.last_at - summary.first_at) / 60000.0;
  }
  d.effectiveness = (scores.resolution_achieved + scores.fcr_score) / 2;
  d.effort = (7 - scores.ces) / 6 * 10;
  d.empathy = (scores.sentiment_score + scores.sentiment_shift + 5) / 2;
  d.efficiency = Efficiency(d);
  d.csi = Csi(d, weights);
  return d;
}

}  // namespace tally::quality
