// JSON event -> wire struct (push client) and Event -> wire struct (load generators). Declared in
// core/event_codec.h.
#include <cstring>

#include "core/event_codec.h"
#include "core/event_scalars.h"
#include "core/event_fields.h"
#include "core/json_reader.h"

namespace tally {
namespace {

using F = FieldId;
using B = wire::Event::Builder;

template <typename Init>
bool SetText(const JsonValue& v, Init init) {
  if (v.kind != JsonKind::kString) return false;
  capnp::Text::Builder t = init(static_cast<unsigned>(v.string.size()));
  std::memcpy(t.begin(), v.string.data(), v.string.size());
  return true;
}

template <typename Get>
bool SetDouble(const JsonValue& v, Get get) {
  if (!v.IsFiniteNumber()) return false;
  get().setValue(v.number);
  return true;
}

template <typename Get>
bool SetInteger(const JsonValue& v, Get get) {
  if (v.kind != JsonKind::kInteger || !v.int_fits) return false;
  get().setValue(v.integer);
  return true;
}

template <typename Get>
bool SetBool(const JsonValue& v, Get get) {
  if (v.kind != JsonKind::kBool) return false;
  get().setValue(v.boolean);
  return true;
}

// The struct can hold exactly the four weights as finite numbers; anything else (extra or missing keys,
// non-numbers) travels verbatim in unknownFields. Whether the numbers are acceptable is the server's call.
bool SetCsiWeights(const JsonValue& v, B b) {
  if (v.kind != JsonKind::kObject) return false;
  JsonReader reader;
  std::vector<JsonMember> members;
  if (!reader.ParseObject(v.raw, &members).ok() || members.size() != 4) return false;
  double w[4];
  constexpr std::string_view kNames[] = {"effectiveness", "effort", "efficiency", "empathy"};
  bool seen[4] = {false, false, false, false};
  for (const JsonMember& m : members) {
    size_t k = 0;
    while (k < 4 && kNames[k] != m.key) ++k;
    if (k == 4 || !m.value.IsFiniteNumber()) return false;
    w[k] = m.value.number;
    seen[k] = true;
  }
  if (!(seen[0] && seen[1] && seen[2] && seen[3])) return false;
  wire::CsiWeights::Builder cw = b.getCsiWeights().initValue();
  cw.setEffectiveness(w[0]);
  cw.setEffort(w[1]);
  cw.setEfficiency(w[2]);
  cw.setEmpathy(w[3]);
  return true;
}

// Returns false when the value cannot be held by the field's typed slot.
bool SetTextField(F id, const JsonValue& v, B b) {
  switch (id) {
    case F::kEventId: return SetText(v, [&](unsigned n) { return b.initEventId(n); });
    case F::kType: return SetText(v, [&](unsigned n) { return b.initType(n); });
    case F::kStoreId: return SetText(v, [&](unsigned n) { return b.initStoreId(n); });
    case F::kOccurredAt: return SetText(v, [&](unsigned n) { return b.initOccurredAt(n); });
    case F::kConversationId: return SetText(v, [&](unsigned n) { return b.initConversationId(n); });
    case F::kCustomerId: return SetText(v, [&](unsigned n) { return b.initCustomerId(n); });
    case F::kChannel: return SetText(v, [&](unsigned n) { return b.initChannel(n); });
    case F::kCustomerName: return SetText(v, [&](unsigned n) { return b.initCustomerName(n); });
    case F::kSender: return SetText(v, [&](unsigned n) { return b.initSender(n); });
    case F::kText: return SetText(v, [&](unsigned n) { return b.initText(n); });
    case F::kAgentId: return SetText(v, [&](unsigned n) { return b.initAgentId(n); });
    case F::kResolvedBy: return SetText(v, [&](unsigned n) { return b.initResolvedBy(n); });
    case F::kReason: return SetText(v, [&](unsigned n) { return b.initReason(n); });
    case F::kQuery: return SetText(v, [&](unsigned n) { return b.initQuery(n); });
    case F::kTopic: return SetText(v, [&](unsigned n) { return b.initTopic(n); });
    case F::kUrl: return SetText(v, [&](unsigned n) { return b.initUrl(n); });
    case F::kAnalysisDate: return SetText(v, [&](unsigned n) { return b.initAnalysisDate(n); });
    case F::kShellFileId: return SetText(v, [&](unsigned n) { return b.initShellFileId(n); });
    case F::kProfileId: return SetText(v, [&](unsigned n) { return b.initProfileId(n); });
    case F::kModel: return SetText(v, [&](unsigned n) { return b.initModel(n); });
    case F::kService: return SetText(v, [&](unsigned n) { return b.initService(n); });
    case F::kOperation: return SetText(v, [&](unsigned n) { return b.initOperation(n); });
    case F::kStatus: return SetText(v, [&](unsigned n) { return b.initStatus(n); });
    case F::kTimezone: return SetText(v, [&](unsigned n) { return b.initTimezone(n); });
    default: return false;
  }
}

bool SetScalarField(F id, const JsonValue& v, B b) {
  switch (id) {
    case F::kConfidence: return SetDouble(v, [&] { return b.getConfidence(); });
    case F::kOverall: return SetDouble(v, [&] { return b.getOverall(); });
    case F::kHelpfulness: return SetDouble(v, [&] { return b.getHelpfulness(); });
    case F::kAccuracy: return SetDouble(v, [&] { return b.getAccuracy(); });
    case F::kPoliteness: return SetDouble(v, [&] { return b.getPoliteness(); });
    case F::kSentimentScore: return SetDouble(v, [&] { return b.getSentimentScore(); });
    case F::kSentimentShift: return SetDouble(v, [&] { return b.getSentimentShift(); });
    case F::kResolutionAchieved: return SetDouble(v, [&] { return b.getResolutionAchieved(); });
    case F::kFcrScore: return SetDouble(v, [&] { return b.getFcrScore(); });
    case F::kCes: return SetDouble(v, [&] { return b.getCes(); });
    case F::kPass: return SetInteger(v, [&] { return b.getPass(); });
    case F::kSuccess: return SetBool(v, [&] { return b.getSuccess(); });
    case F::kTokens: return SetInteger(v, [&] { return b.getTokens(); });
    case F::kCostUsd: return SetDouble(v, [&] { return b.getCostUsd(); });
    case F::kProcessingTimeMs: return SetInteger(v, [&] { return b.getProcessingTimeMs(); });
    case F::kEntities: return SetInteger(v, [&] { return b.getEntities(); });
    case F::kManualReview: return SetBool(v, [&] { return b.getManualReview(); });
    case F::kGapConfidenceThreshold: return SetDouble(v, [&] { return b.getGapConfidenceThreshold(); });
    case F::kHumanCostPerHour: return SetDouble(v, [&] { return b.getHumanCostPerHour(); });
    case F::kMinutesPerConversation: return SetDouble(v, [&] { return b.getMinutesPerConversation(); });
    case F::kAiCostPerConversation: return SetDouble(v, [&] { return b.getAiCostPerConversation(); });
    case F::kCsiWeights: return SetCsiWeights(v, b);
    // properties travels as the JSON text of its value, whatever it is; the server judges it.
    case F::kProperties: {
      JsonValue as_text = v;
      as_text.kind = JsonKind::kString;
      as_text.string = v.raw;
      return SetText(as_text, [&](unsigned n) { return b.initProperties(n); });
    }
    default: return SetTextField(id, v, b);
  }
}

template <typename Setter>
void PutText(const std::optional<std::string>& v, Setter set) {
  if (v) set(capnp::Text::Reader(v->data(), v->size()));
}

void PutTexts(const Event& e, B b) {
  PutText(e.properties, [&](auto t) { b.setProperties(t); });
  PutText(e.conversation_id, [&](auto t) { b.setConversationId(t); });
  PutText(e.customer_id, [&](auto t) { b.setCustomerId(t); });
  PutText(e.channel, [&](auto t) { b.setChannel(t); });
  PutText(e.customer_name, [&](auto t) { b.setCustomerName(t); });
  PutText(e.text, [&](auto t) { b.setText(t); });
  PutText(e.agent_id, [&](auto t) { b.setAgentId(t); });
  PutText(e.reason, [&](auto t) { b.setReason(t); });
  PutText(e.query, [&](auto t) { b.setQuery(t); });
  PutText(e.topic, [&](auto t) { b.setTopic(t); });
  PutText(e.url, [&](auto t) { b.setUrl(t); });
  PutText(e.shell_file_id, [&](auto t) { b.setShellFileId(t); });
  PutText(e.profile_id, [&](auto t) { b.setProfileId(t); });
  PutText(e.model, [&](auto t) { b.setModel(t); });
  PutText(e.service, [&](auto t) { b.setService(t); });
  PutText(e.operation, [&](auto t) { b.setOperation(t); });
  PutText(e.timezone, [&](auto t) { b.setTimezone(t); });
  if (e.sender) b.setSender(SenderName(*e.sender).data());
  if (e.resolved_by) b.setResolvedBy(ResolvedByName(*e.resolved_by).data());
  if (e.status) b.setStatus(GapStatusName(*e.status).data());
  if (e.analysis_date) b.setAnalysisDate(FormatDate(*e.analysis_date));
}


}  // namespace

Status JsonToWireEvent(std::string_view json, wire::Event::Builder builder) {
  thread_local JsonReader reader;
  thread_local std::vector<JsonMember> members;
  reader.Clear();
  Status parsed = reader.ParseObject(json, &members);
  if (!parsed.ok()) return parsed;
  std::string unknown;
  JsonWriter writer(&unknown);
  bool any_unknown = false;
  for (const JsonMember& m : members) {
    if (m.value.kind == JsonKind::kNull) continue;  // null means absent: nothing to carry
    std::optional<F> id = FieldFromName(m.key);
    if (id && SetScalarField(*id, m.value, builder)) continue;
    if (!any_unknown) writer.BeginObject();
    any_unknown = true;
    writer.Key(m.key).Raw(m.value.raw);
  }
  if (any_unknown) {
    writer.EndObject();
    builder.setUnknownFields(capnp::Text::Reader(unknown.data(), unknown.size()));
  }
  return Status::Ok();
}

void EventToWire(const Event& event, wire::Event::Builder builder) {
  builder.setEventId(capnp::Text::Reader(event.event_id.data(), event.event_id.size()));
  builder.setType(EventTypeName(event.type).data());
  builder.setStoreId(capnp::Text::Reader(event.store_id.data(), event.store_id.size()));
  builder.setOccurredAt(FormatRfc3339(event.occurred_at_ms));
  PutTexts(event, builder);
  PutNumericScalars(event, builder);
}

}  // namespace tally
