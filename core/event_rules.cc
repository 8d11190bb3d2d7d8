#include "core/event_rules.h"

#include <cmath>

#include <fmt/format.h>

namespace tally {
namespace {

// 2000-01-01T00:00:00Z: nothing tally tracks happened before it, so an earlier time is a producer bug.
constexpr TimeMs kEarliestOccurredAt = 946'684'800'000;

bool IsStoreIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == ':' || c == '-';
}

bool IsValidStoreId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    if (!IsStoreIdChar(c)) return false;
  }
  return true;
}

// The shape of an IANA zone name ("UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5"):
// slash-separated non-empty parts of [A-Za-z0-9_+-], starting with a letter. The zone database itself is not
// consulted here, so the validator stays free of I/O; zone-aware processing resolves the name.
bool IsTimezoneName(std::string_view name) {
  if (name.empty() || name.size() > kMaxIdBytes) return false;
  if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  char prev = '/';
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '+' || c == '-' || c == '/';
    if (!ok || (c == '/' && prev == '/')) return false;
    prev = c;
  }
  return prev != '/';
}

std::string RangeText(const FieldSpec& spec) {
  if (std::isinf(spec.max)) return fmt::format(">= {}", spec.min);
  return fmt::format("in [{}, {}]", spec.min, spec.max);
}

bool IsString(const JsonValue& v) { return v.kind == JsonKind::kString; }

// The string-valued rules; returns the invalid_value message, or "" when the value is fine.
std::string CheckStringValue(const FieldSpec& spec, const JsonValue& v) {
  std::string_view name = spec.name;
  bool str = IsString(v);
  switch (spec.rule) {
    case FieldRule::kStoreId:
      if (str && IsValidStoreId(v.string)) return "";
      return fmt::format("store_id must be a string of 1-{} bytes of [A-Za-z0-9_.:-]", kMaxIdBytes);
    case FieldRule::kFreeText:
      if (str && v.string.size() <= kMaxFreeTextBytes) return "";
      return fmt::format("{} must be a string of at most {} bytes", name, kMaxFreeTextBytes);
    case FieldRule::kSender:
      if (str && SenderFromName(v.string)) return "";
      return "sender must be one of customer, agent, ai";
    case FieldRule::kResolvedBy:
      if (str && ResolvedByFromName(v.string)) return "";
      return "resolved_by must be one of agent, ai";
    case FieldRule::kGapStatus:
      if (str && GapStatusFromName(v.string)) return "";
      return "status must be one of identified, in_progress, resolved";
    case FieldRule::kDate:
      if (str && ParseDate(v.string)) return "";
      return fmt::format("{} must be a date YYYY-MM-DD", name);
    case FieldRule::kTimezone:
      if (str && IsTimezoneName(v.string)) return "";
      return "timezone must be an IANA time zone name such as Europe/Paris";
    default:  // kEventId, kName
      if (str && !v.string.empty() && v.string.size() <= kMaxIdBytes) return "";
      return fmt::format("{} must be a string of 1-{} bytes", name, kMaxIdBytes);
  }
}

// Checks one present field's value against its rule; returns the invalid_value message, or "" when fine.
// type and occurred_at are judged separately (the latter needs the clock and the skew correction).
std::string CheckValue(FieldId id, const JsonValue& v) {
  const FieldSpec& spec = SpecOf(id);
  switch (spec.rule) {
    case FieldRule::kNumber:
      if (v.IsFiniteNumber() && v.number >= spec.min && v.number <= spec.max) return "";
      return fmt::format("{} must be a number {}", spec.name, RangeText(spec));
    case FieldRule::kInteger: {
      auto as_double = static_cast<double>(v.integer);
      bool ok = v.kind == JsonKind::kInteger && v.int_fits && as_double >= spec.min && as_double <= spec.max;
      if (ok) return "";
      return fmt::format("{} must be an integer {}", spec.name, RangeText(spec));
    }
    case FieldRule::kBool:
      if (v.kind == JsonKind::kBool) return "";
      return fmt::format("{} must be true or false", spec.name);
    case FieldRule::kProperties:
      if (v.kind == JsonKind::kObject) return "";
      return "properties must be a JSON object";
    case FieldRule::kCsiWeights:
      if (ReadCsiWeights(v)) return "";
      return "csi_weights must be an object of effectiveness, effort, efficiency and empathy, each a number "
             ">= 0, not all 0";
    case FieldRule::kType:
    case FieldRule::kOccurredAt:
      return "";
    default:
      return CheckStringValue(spec, v);
  }
}

// Judges the order of §1.3 for one event whose type is known. Kept as a class so each step is a short method
// sharing the input, the context and the partly filled rejection.
class Judge {
 public:
  Judge(const EventInput& in, const ValidationContext& ctx) : in_(in), ctx_(ctx) {}

  ValidationResult Run();

 private:
  ValidationResult Reject(Code code, std::string message) {
    FillRejectionIdentity();
    rejection_.code = code;
    rejection_.message = std::move(message);
    return std::move(rejection_);
  }
  void FillRejectionIdentity();
  std::optional<ValidationResult> CheckType();
  std::optional<ValidationResult> CheckMissing();
  std::optional<ValidationResult> CheckUnknown();
  std::optional<ValidationResult> CheckValues();
  std::optional<ValidationResult> CheckOccurredAt();
  Event Build() const;

  const EventInput& in_;
  const ValidationContext& ctx_;
  Rejection rejection_;
  EventType type_ = EventType::kConversationStarted;
  TimeMs occurred_at_ms_ = 0;
  bool writable_ = true;  // ctx.can_write(store_id), asked once
};

void Judge::FillRejectionIdentity() {
  const JsonValue& id = in_.Get(FieldId::kEventId);
  if (IsString(id) && id.string.size() <= kMaxIdBytes) rejection_.event_id = std::string(id.string);
  const JsonValue& store = in_.Get(FieldId::kStoreId);
  if (IsString(store) && IsValidStoreId(store.string) && writable_) {
    rejection_.quarantine_store = std::string(store.string);
  }
}

std::optional<ValidationResult> Judge::CheckType() {
  const JsonValue& type = in_.Get(FieldId::kType);
  if (type.kind == JsonKind::kNull) return Reject(Code::kMissingField, "missing required field type");
  std::optional<EventType> parsed = IsString(type) ? EventTypeFromName(type.string) : std::nullopt;
  if (!parsed) {
    if (!IsString(type)) return Reject(Code::kUnknownType, "type must be a string naming an event type");
    return Reject(Code::kUnknownType, fmt::format("unknown event type \"{}\"", type.string.substr(0, 128)));
  }
  type_ = *parsed;
  return std::nullopt;
}

std::optional<ValidationResult> Judge::CheckMissing() {
  for (FieldId id : EnvelopeFields()) {
    if (id != FieldId::kProperties && !in_.Has(id)) {
      return Reject(Code::kMissingField, fmt::format("missing required field {}", FieldName(id)));
    }
  }
  for (FieldId id : RequiredFields(type_)) {
    if (!in_.Has(id)) return Reject(Code::kMissingField, fmt::format("missing required field {}", FieldName(id)));
  }
  return std::nullopt;
}

std::optional<ValidationResult> Judge::CheckUnknown() {
  for (size_t i = 0; i < kFieldCount; ++i) {
    auto id = static_cast<FieldId>(i);
    if (in_.Has(id) && !IsAllowed(type_, id)) {
      return Reject(Code::kUnknownField, fmt::format("field {} is not allowed for type {}", FieldName(id),
                                                     EventTypeName(type_)));
    }
  }
  if (!in_.unknown_names.empty()) {
    return Reject(Code::kUnknownField, fmt::format("unknown field \"{}\" for type {}",
                                                   in_.unknown_names.front().substr(0, 128), EventTypeName(type_)));
  }
  return std::nullopt;
}

std::optional<ValidationResult> Judge::CheckOccurredAt() {
  const JsonValue& v = in_.Get(FieldId::kOccurredAt);
  std::optional<TimeMs> parsed = IsString(v) ? ParseRfc3339(v.string) : std::nullopt;
  if (!parsed) return Reject(Code::kInvalidValue, "occurred_at must be an RFC 3339 time");
  // Skew correction (CONTRACT §2.1): the producer's clock may be off; what matters is how long before
  // sending the event happened. Corrected here so every later rule and the stored event see one value.
  occurred_at_ms_ = ctx_.sent_at ? ctx_.received_at + (*parsed - *ctx_.sent_at) : *parsed;
  if (occurred_at_ms_ < kEarliestOccurredAt) {
    return Reject(Code::kInvalidValue, "occurred_at must not be before 2000-01-01T00:00:00Z");
  }
  return std::nullopt;
}

std::optional<ValidationResult> Judge::CheckValues() {
  auto check = [&](FieldId id) -> std::optional<ValidationResult> {
    if (!in_.Has(id)) return std::nullopt;
    if (id == FieldId::kOccurredAt) return CheckOccurredAt();
    std::string message = CheckValue(id, in_.Get(id));
    if (message.empty()) return std::nullopt;
    return Reject(Code::kInvalidValue, std::move(message));
  };
  for (FieldId id : EnvelopeFields()) {
    if (auto r = check(id)) return r;
  }
  for (FieldId id : RequiredFields(type_)) {
    if (auto r = check(id)) return r;
  }
  bool any_optional = false;
  for (FieldId id : OptionalFields(type_)) {
    if (auto r = check(id)) return r;
    any_optional = any_optional || in_.Has(id);
  }
  if (type_ == EventType::kStoreConfigured && !any_optional) {
    return Reject(Code::kInvalidValue,
                  "store_configured needs at least one of timezone, gap_confidence_threshold, "
                  "human_cost_per_hour, minutes_per_conversation, ai_cost_per_conversation, csi_weights");
  }
  return std::nullopt;
}

ValidationResult Judge::Run() {
  const JsonValue& store = in_.Get(FieldId::kStoreId);
  writable_ = !IsString(store) || !ctx_.can_write || ctx_.can_write(store.string);
  if (in_.size_bytes > kMaxEventBytes) {
    return Reject(Code::kTooLarge,
                  fmt::format("event is {} bytes, more than the limit of {}", in_.size_bytes, kMaxEventBytes));
  }
  if (auto r = CheckType()) return std::move(*r);
  if (!writable_) {
    return Reject(Code::kForbidden,
                  fmt::format("this token may not write store_id \"{}\"", store.string.substr(0, 128)));
  }
  if (auto r = CheckMissing()) return std::move(*r);
  if (auto r = CheckUnknown()) return std::move(*r);
  if (auto r = CheckValues()) return std::move(*r);
  if (occurred_at_ms_ > ctx_.now_ms + kMaxFutureMs) {
    return Reject(Code::kFutureTimestamp,
                  fmt::format("occurred_at {} is more than 24 h after the server's clock {}",
                              FormatRfc3339(occurred_at_ms_), FormatRfc3339(ctx_.now_ms)));
  }
  return Build();
}

// Only called once every rule passed, so each present value is known to fit its field.
void SetField(FieldId id, const JsonValue& v, Event* e) {
  const FieldSpec& spec = SpecOf(id);
  if (auto s = std::get_if<std::optional<std::string> Event::*>(&spec.member)) {
    e->**s = std::string(spec.rule == FieldRule::kProperties ? v.raw : v.string);
  } else if (auto d = std::get_if<std::optional<double> Event::*>(&spec.member)) {
    e->**d = v.number;
  } else if (auto i = std::get_if<std::optional<int64_t> Event::*>(&spec.member)) {
    e->**i = v.integer;
  } else if (auto b = std::get_if<std::optional<bool> Event::*>(&spec.member)) {
    e->**b = v.boolean;
  } else if (id == FieldId::kSender) {
    e->sender = SenderFromName(v.string);
  } else if (id == FieldId::kResolvedBy) {
    e->resolved_by = ResolvedByFromName(v.string);
  } else if (id == FieldId::kStatus) {
    e->status = GapStatusFromName(v.string);
  } else if (id == FieldId::kPass) {
    e->pass = static_cast<int32_t>(v.integer);
  } else if (id == FieldId::kAnalysisDate) {
    e->analysis_date = ParseDate(v.string);
  } else if (id == FieldId::kCsiWeights) {
    e->csi_weights = ReadCsiWeights(v);
  }
}

Event Judge::Build() const {
  Event e;
  e.event_id = std::string(in_.Get(FieldId::kEventId).string);
  e.type = type_;
  e.store_id = std::string(in_.Get(FieldId::kStoreId).string);
  e.occurred_at_ms = occurred_at_ms_;
  if (in_.Has(FieldId::kProperties)) e.properties = std::string(in_.Get(FieldId::kProperties).raw);
  for (FieldId id : RequiredFields(type_)) SetField(id, in_.Get(id), &e);
  for (FieldId id : OptionalFields(type_)) {
    if (in_.Has(id)) SetField(id, in_.Get(id), &e);
  }
  return e;
}

}  // namespace

void EventInput::Clear() {
  for (JsonValue& v : fields) v.kind = JsonKind::kNull;
  unknown_names.clear();
  size_bytes = 0;
}

ValidationResult ApplyEventRules(const EventInput& input, const ValidationContext& ctx) {
  return Judge(input, ctx).Run();
}

Rejection MalformedRejection(std::string message) {
  Rejection r;
  r.code = Code::kMalformed;
  r.message = std::move(message);
  return r;
}

std::optional<CsiWeights> ReadCsiWeights(const JsonValue& value) {
  if (value.kind != JsonKind::kObject) return std::nullopt;
  JsonReader reader;
  std::vector<JsonMember> members;
  if (!reader.ParseObject(value.raw, &members).ok()) return std::nullopt;
  CsiWeights w;
  double* slots[] = {&w.effectiveness, &w.effort, &w.efficiency, &w.empathy};
  constexpr std::string_view kNames[] = {"effectiveness", "effort", "efficiency", "empathy"};
  bool seen[4] = {false, false, false, false};
  for (const JsonMember& m : members) {
    if (m.value.kind == JsonKind::kNull) continue;  // null = absent, here too
    size_t k = 0;
    while (k < 4 && kNames[k] != m.key) ++k;
    if (k == 4 || !m.value.IsFiniteNumber() || m.value.number < 0) return std::nullopt;
    *slots[k] = m.value.number;
    seen[k] = true;
  }
  if (!(seen[0] && seen[1] && seen[2] && seen[3])) return std::nullopt;
  if (w.effectiveness == 0 && w.effort == 0 && w.efficiency == 0 && w.empathy == 0) return std::nullopt;
  return w;
}

}  // namespace tally
