#include "processors/content_gaps_view.h"

#include <algorithm>
#include <vector>

#include "core/json_writer.h"
#include "processors/decimal_sum.h"
#include "processors/view_codec.h"

namespace tally {

namespace {

constexpr double kDefaultThreshold = 0.5;
constexpr size_t kExampleQuestions = 5;
constexpr uint8_t kVersion = 1;

struct GapRecord {
  std::string display;  // the first hit's spelling, trimmed and collapsed
  uint64_t frequency = 0;
  DecimalSum confidence;
  std::vector<std::string> examples;  // first distinct queries, byte for byte
  TimeMs first_seen = 0, last_seen = 0;
  GapStatus status = GapStatus::kIdentified;

  std::string Encode() const {
    size_t size = 1 + 8 + display.size() + 8 + 16 + 8 + 8 + 8 + 1;
    for (const std::string& q : examples) size += 8 + q.size();
    ValueWriter w(size);
    w.U8(kVersion).Str(display).U64(frequency);
    confidence.Write(w);
    w.U64(examples.size());
    for (const std::string& q : examples) w.Str(q);
    w.I64(first_seen).I64(last_seen).U8(static_cast<uint8_t>(status));
    return w.Take();
  }
  static std::optional<GapRecord> Decode(std::string_view value) {
    ValueReader r(value);
    GapRecord g;
    if (r.U8() != kVersion) return std::nullopt;
    g.display = r.Str();
    g.frequency = r.U64();
    g.confidence = DecimalSum::Read(r);
    uint64_t n = r.U64();
    for (uint64_t i = 0; i < n && i < kExampleQuestions && r.ok(); ++i) g.examples.push_back(r.Str());
    g.first_seen = r.I64();
    g.last_seen = r.I64();
    uint8_t status = r.U8();
    if (!r.ok() || !r.done() || status > 2 || n > kExampleQuestions) return std::nullopt;
    g.status = static_cast<GapStatus>(status);
    return g;
  }
};

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string GapKey(std::string_view store, std::string_view topic) {
  std::string k = StoreKey(store, 'G');
  AppendOrderedString(&k, topic);
  return k;
}

// The list-order suffix: frequency descending, then normalised topic ascending.
std::string OrderSuffix(uint64_t frequency, std::string_view topic) {
  std::string s;
  PutBigEndian64(&s, ~frequency);
  AppendOrderedString(&s, topic);
  return s;
}

double ThresholdInForce(FoldState& state, std::string_view store) {
  std::optional<std::string_view> raw = state.Get(StoreKey(store, 'T'));
  if (!raw) return kDefaultThreshold;
  ValueReader r(*raw);
  double t = r.F64();
  return r.ok() ? t : kDefaultThreshold;
}

GapRecord LoadGap(FoldState& state, const std::string& key) {
  std::optional<std::string_view> raw = state.Get(key);
  if (!raw) return GapRecord{};
  return GapRecord::Decode(*raw).value_or(GapRecord{});
}

void ApplyHit(const Event& e, FoldState& state) {
  std::string topic = NormaliseTopic(*e.topic);
  std::string key = GapKey(e.store_id, topic);
  GapRecord g = LoadGap(state, key);
  std::string order_prefix = StoreKey(e.store_id, 'F');
  if (g.frequency == 0) {
    // The first hit identifies the gap whatever status change came before it.
    g.display = CollapseTopic(*e.topic);
    g.first_seen = e.occurred_at_ms;
    g.status = GapStatus::kIdentified;
  } else {
    state.Delete(order_prefix + OrderSuffix(g.frequency, topic));
    if (g.status == GapStatus::kResolved) g.status = GapStatus::kIdentified;
  }
  ++g.frequency;
  g.confidence.Add(*e.confidence);
  g.last_seen = e.occurred_at_ms;
  if (g.examples.size() < kExampleQuestions &&
      std::find(g.examples.begin(), g.examples.end(), *e.query) == g.examples.end()) {
    g.examples.push_back(*e.query);
  }
  state.Put(order_prefix + OrderSuffix(g.frequency, topic), std::string(1, static_cast<char>(g.status)));
  state.Put(key, g.Encode());
}

void ApplyStatusChange(const Event& e, FoldState& state) {
  std::string topic = NormaliseTopic(*e.topic);
  std::string key = GapKey(e.store_id, topic);
  GapRecord g = LoadGap(state, key);
  g.status = *e.status;
  if (g.frequency > 0) {
    state.Put(StoreKey(e.store_id, 'F') + OrderSuffix(g.frequency, topic), std::string(1, static_cast<char>(g.status)));
  }
  state.Put(key, g.Encode());
}

}  // namespace

std::string CollapseTopic(std::string_view topic) {
  std::string out;
  bool pending_space = false;
  for (char c : topic) {
    if (IsAsciiSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string NormaliseTopic(std::string_view topic) {
  std::string out = CollapseTopic(topic);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void ContentGapsProcessor::Apply(uint64_t /*seq*/, const Event& event, FoldState& state) {
  switch (event.type) {
    case EventType::kStoreConfigured:
      if (event.gap_confidence_threshold) {
        state.Put(StoreKey(event.store_id, 'T'), ValueWriter().F64(*event.gap_confidence_threshold).Take());
      }
      return;
    case EventType::kKnowledgeRetrieved:
      if (*event.confidence < ThresholdInForce(state, event.store_id)) ApplyHit(event, state);
      return;
    case EventType::kContentGapStatusChanged:
      ApplyStatusChange(event, state);
      return;
    default:
      return;
  }
}

namespace {

void WriteGap(JsonWriter& w, const GapRecord& g) {
  w.BeginObject().Field("topic", g.display).Field("frequency", g.frequency);
  w.Field("avg_confidence", g.confidence.Mean(g.frequency));
  w.Key("example_questions").BeginArray();
  for (const std::string& q : g.examples) w.String(q);
  w.EndArray();
  w.Field("first_seen_at", FormatRfc3339(g.first_seen)).Field("last_seen_at", FormatRfc3339(g.last_seen));
  w.Field("status", GapStatusName(g.status)).EndObject();
}

struct PageItem {
  std::string suffix;  // the list-order key suffix, for the cursor
  std::string topic;   // normalised
};

}  // namespace

namespace {

// Up to limit + 1 list entries after `start` (one more than the page, to know whether another page follows).
Result<std::vector<PageItem>> ScanOrder(const ViewReader& view, const std::string& prefix, const std::string& start,
                                        std::optional<GapStatus> status, size_t limit) {
  std::vector<PageItem> items;
  Status scan = view.Scan(start, PrefixSuccessor(prefix), [&](std::string_view key, std::string_view value) {
    if (value.size() != 1) return true;
    if (status && static_cast<uint8_t>(value[0]) != static_cast<uint8_t>(*status)) return true;
    std::string_view rest = key.substr(prefix.size() + 8);
    std::optional<std::string> topic = ConsumeOrderedString(&rest);
    if (!topic) return true;
    items.push_back({std::string(key.substr(prefix.size())), *topic});
    return items.size() <= limit;
  });
  if (!scan.ok()) return scan;
  return items;
}

}  // namespace

Result<std::string> ContentGapsJson(const ViewReader& view, std::string_view store_id, std::optional<GapStatus> status,
                                    size_t limit, std::optional<std::string_view> cursor) {
  std::string prefix = StoreKey(store_id, 'F');
  std::string start = prefix;
  if (cursor) {
    std::optional<std::string> after = HexDecode(*cursor);
    if (!after || after->size() < 8) return Status(Code::kBadParameter, "cursor is not a content_gaps cursor");
    start += *after;
    start.push_back('\0');  // the smallest key after the cursor's
  }
  Result<std::vector<PageItem>> items = ScanOrder(view, prefix, start, status, limit);
  if (!items.ok()) return items.status();
  bool more = items->size() > limit;
  if (more) items->resize(limit);

  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("as_of_seq", view.as_of_seq()).Key("gaps").BeginArray();
  for (const PageItem& item : *items) {
    Result<std::optional<std::string>> raw = view.Get(GapKey(store_id, item.topic));
    if (!raw.ok()) return raw.status();
    std::optional<GapRecord> g = raw.value() ? GapRecord::Decode(**raw) : std::nullopt;
    if (!g || g->frequency == 0) return Status(Code::kCorruption, "content_gaps: list entry without its gap");
    WriteGap(w, *g);
  }
  w.EndArray().Key("next_cursor");
  if (more) {
    w.String(HexEncode(items->back().suffix));
  } else {
    w.Null();
  }
  w.EndObject();
  return out;
}

}  // namespace tally
