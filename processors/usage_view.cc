#include "processors/usage_view.h"

#include "core/json_writer.h"
#include "processors/view_codec.h"

namespace tally {

namespace {

constexpr uint8_t kVersion = 1;

// Running totals of one daily (date, service, operation) row or one monthly profile row.
struct Totals {
  uint64_t count = 0;
  int64_t tokens = 0;
  int64_t cost_micros = 0;
  uint64_t files = 0;  // monthly rows only

  std::string Encode() const {
    return ValueWriter(1 + 4 * 8).U8(kVersion).U64(count).I64(tokens).I64(cost_micros).U64(files).Take();
  }
  static std::optional<Totals> Decode(std::string_view value) {
    ValueReader r(value);
    Totals t;
    if (r.U8() != kVersion) return std::nullopt;
    t.count = r.U64();
    t.tokens = r.I64();
    t.cost_micros = r.I64();
    t.files = r.U64();
    if (!r.ok() || !r.done()) return std::nullopt;
    return t;
  }
};

Totals LoadTotals(FoldState& state, const std::string& key) {
  std::optional<std::string_view> raw = state.Get(key);
  if (!raw) return Totals{};
  return Totals::Decode(*raw).value_or(Totals{});
}

std::string DailyKey(std::string_view store, DayNum day, std::string_view service, std::string_view operation) {
  std::string k = StoreKey(store, 'D') + DayKeyPart(day);
  AppendOrderedString(&k, service);
  AppendOrderedString(&k, operation);
  return k;
}

std::string MonthlyKey(std::string_view store, char kind, DayNum month, std::string_view profile) {
  std::string k = StoreKey(store, kind) + DayKeyPart(month);
  AppendOrderedString(&k, profile);
  return k;
}

// Adds one operation to its daily row and its month's profile row; a shell file counts once per month and
// profile, decided by a first-seen marker rather than a read-time union.
void Record(const Event& e, std::string_view service, std::string_view operation,
            const std::optional<std::string>& shell_file_id, FoldState& state) {
  int64_t micros = ToMicros(*e.cost_usd);
  std::string daily = DailyKey(e.store_id, DayOf(e.occurred_at_ms), service, operation);
  Totals d = LoadTotals(state, daily);
  ++d.count;
  d.tokens += *e.tokens;
  d.cost_micros += micros;
  state.Put(daily, d.Encode());

  DayNum month = MonthStart(DayOf(e.occurred_at_ms));
  std::string profile = e.profile_id.value_or("");
  std::string monthly = MonthlyKey(e.store_id, 'M', month, profile);
  Totals m = LoadTotals(state, monthly);
  ++m.count;
  m.tokens += *e.tokens;
  m.cost_micros += micros;
  if (shell_file_id) {
    std::string marker = MonthlyKey(e.store_id, 'm', month, profile);
    AppendOrderedString(&marker, *shell_file_id);
    if (!state.Get(marker)) {
      state.Put(marker, "");
      ++m.files;
    }
  }
  state.Put(monthly, m.Encode());
}

}  // namespace

void UsageProcessor::Apply(uint64_t /*seq*/, const Event& e, FoldState& state) {
  if (e.type == EventType::kUsageRecorded) {
    Record(e, *e.service, *e.operation, std::nullopt, state);
  } else if (e.type == EventType::kPassCompleted) {
    Record(e, "ai_pipeline", "pass" + std::to_string(*e.pass), e.shell_file_id, state);
  }
}

Result<std::string> UsageDailyJson(const ViewReader& view, std::string_view store_id, DayNum from, DayNum to) {
  std::string prefix = StoreKey(store_id, 'D');
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("as_of_seq", view.as_of_seq()).Key("rows").BeginArray();
  Status scan = view.Scan(
      prefix + DayKeyPart(from), prefix + DayKeyPart(to + 1), [&](std::string_view key, std::string_view value) {
        std::string_view rest = key.substr(prefix.size());
        if (rest.size() < 4) return true;
        DayNum day = GetOrderedI32(rest);
        rest.remove_prefix(4);
        std::optional<std::string> service = ConsumeOrderedString(&rest);
        std::optional<std::string> operation = ConsumeOrderedString(&rest);
        std::optional<Totals> t = Totals::Decode(value);
        if (!service || !operation || !t) return true;
        w.BeginObject().Field("date", FormatDate(day)).Field("service", *service).Field("operation", *operation);
        w.Field("count", t->count).Field("total_tokens", t->tokens);
        w.Field("total_cost_usd", FromMicros(t->cost_micros)).EndObject();
        return true;
      });
  if (!scan.ok()) return scan;
  w.EndArray().EndObject();
  return out;
}

Result<std::string> UsageMonthlyJson(const ViewReader& view, std::string_view store_id, DayNum month) {
  std::string prefix = StoreKey(store_id, 'M') + DayKeyPart(MonthStart(month));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("as_of_seq", view.as_of_seq()).Key("rows").BeginArray();
  Status scan = view.ScanPrefix(prefix, [&](std::string_view key, std::string_view value) {
    std::string_view rest = key.substr(prefix.size());
    std::optional<std::string> profile = ConsumeOrderedString(&rest);
    std::optional<Totals> t = Totals::Decode(value);
    if (!profile || !t) return true;
    w.BeginObject().Field("profile_id", *profile).Field("operations", t->count);
    w.Field("total_tokens", t->tokens).Field("total_cost_usd", FromMicros(t->cost_micros));
    w.Field("files_processed", t->files).EndObject();
    return true;
  });
  if (!scan.ok()) return scan;
  w.EndArray().EndObject();
  return out;
}

}  // namespace tally
