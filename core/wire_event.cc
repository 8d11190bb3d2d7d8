#include "core/wire_event.h"

#include <kj/exception.h>

#include <fmt/format.h>

#include "core/event_rules.h"
#include "core/json_reader.h"
#include "core/json_writer.h"

namespace tally {
namespace {

using F = FieldId;

// Turns a wire event into an EventInput. Views point into the message and into this object's scratch.
class WireAdapter {
 public:
  // Returns "" on success, else the malformed message. May throw kj::Exception on a damaged message.
  std::string Adapt(wire::Event::Reader r);

  EventInput input;

 private:
  // `get` is only called when `has`: resolving a Cap'n Proto pointer is the main cost of reading a wire event.
  template <typename Get>
  bool Text(F id, bool has, Get get) {
    return !has || SetText(id, get());
  }
  bool SetText(F id, capnp::Text::Reader text);
  template <typename Group>
  void Double(F id, Group g) {
    if (!g.isValue()) return;
    JsonValue& v = input.Mutable(id);
    v.kind = JsonKind::kNumber;
    v.number = g.getValue();
  }
  template <typename Group>
  void Integer(F id, Group g) {
    if (!g.isValue()) return;
    JsonValue& v = input.Mutable(id);
    v.kind = JsonKind::kInteger;
    v.int_fits = true;
    v.integer = g.getValue();
    v.number = static_cast<double>(v.integer);
  }
  template <typename Group>
  void Bool(F id, Group g) {
    if (!g.isValue()) return;
    JsonValue& v = input.Mutable(id);
    v.kind = JsonKind::kBool;
    v.boolean = g.getValue();
  }
  bool Texts(wire::Event::Reader r);
  void Scalars(wire::Event::Reader r);
  bool Properties(wire::Event::Reader r);
  bool CsiWeightsAsJson(wire::Event::Reader r);
  bool UnknownFields(wire::Event::Reader r);

  JsonReader reader_;
  std::vector<JsonMember> members_;
  std::string csi_json_;
  std::string error_;
};

bool WireAdapter::SetText(F id, capnp::Text::Reader text) {
  std::string_view s(text.begin(), text.size());
  // Cap'n Proto Text must be UTF-8; a JSON event could not carry anything else either.
  if (!IsValidUtf8(s)) {
    error_ = fmt::format("field {} is not valid UTF-8", FieldName(id));
    return false;
  }
  JsonValue& v = input.Mutable(id);
  v.kind = JsonKind::kString;
  v.string = s;
  v.raw = s;
  return true;
}

bool WireAdapter::Texts(wire::Event::Reader r) {
  return Text(F::kEventId, r.hasEventId(), [&] { return r.getEventId(); }) &&
         Text(F::kType, r.hasType(), [&] { return r.getType(); }) &&
         Text(F::kStoreId, r.hasStoreId(), [&] { return r.getStoreId(); }) &&
         Text(F::kOccurredAt, r.hasOccurredAt(), [&] { return r.getOccurredAt(); }) &&
         Text(F::kConversationId, r.hasConversationId(), [&] { return r.getConversationId(); }) &&
         Text(F::kCustomerId, r.hasCustomerId(), [&] { return r.getCustomerId(); }) &&
         Text(F::kChannel, r.hasChannel(), [&] { return r.getChannel(); }) &&
         Text(F::kCustomerName, r.hasCustomerName(), [&] { return r.getCustomerName(); }) &&
         Text(F::kSender, r.hasSender(), [&] { return r.getSender(); }) &&
         Text(F::kText, r.hasText(), [&] { return r.getText(); }) &&
         Text(F::kAgentId, r.hasAgentId(), [&] { return r.getAgentId(); }) &&
         Text(F::kResolvedBy, r.hasResolvedBy(), [&] { return r.getResolvedBy(); }) &&
         Text(F::kReason, r.hasReason(), [&] { return r.getReason(); }) &&
         Text(F::kQuery, r.hasQuery(), [&] { return r.getQuery(); }) &&
         Text(F::kTopic, r.hasTopic(), [&] { return r.getTopic(); }) &&
         Text(F::kUrl, r.hasUrl(), [&] { return r.getUrl(); }) &&
         Text(F::kAnalysisDate, r.hasAnalysisDate(), [&] { return r.getAnalysisDate(); }) &&
         Text(F::kShellFileId, r.hasShellFileId(), [&] { return r.getShellFileId(); }) &&
         Text(F::kProfileId, r.hasProfileId(), [&] { return r.getProfileId(); }) &&
         Text(F::kModel, r.hasModel(), [&] { return r.getModel(); }) &&
         Text(F::kService, r.hasService(), [&] { return r.getService(); }) &&
         Text(F::kOperation, r.hasOperation(), [&] { return r.getOperation(); }) &&
         Text(F::kStatus, r.hasStatus(), [&] { return r.getStatus(); }) &&
         Text(F::kTimezone, r.hasTimezone(), [&] { return r.getTimezone(); });
}

void WireAdapter::Scalars(wire::Event::Reader r) {
  Double(F::kConfidence, r.getConfidence());
  Double(F::kOverall, r.getOverall());
  Double(F::kHelpfulness, r.getHelpfulness());
  Double(F::kAccuracy, r.getAccuracy());
  Double(F::kPoliteness, r.getPoliteness());
  Double(F::kSentimentScore, r.getSentimentScore());
  Double(F::kSentimentShift, r.getSentimentShift());
  Double(F::kResolutionAchieved, r.getResolutionAchieved());
  Double(F::kFcrScore, r.getFcrScore());
  Double(F::kCes, r.getCes());
  Integer(F::kPass, r.getPass());
  Bool(F::kSuccess, r.getSuccess());
  Integer(F::kTokens, r.getTokens());
  Double(F::kCostUsd, r.getCostUsd());
  Integer(F::kProcessingTimeMs, r.getProcessingTimeMs());
  Integer(F::kEntities, r.getEntities());
  Bool(F::kManualReview, r.getManualReview());
  Double(F::kGapConfidenceThreshold, r.getGapConfidenceThreshold());
  Double(F::kHumanCostPerHour, r.getHumanCostPerHour());
  Double(F::kMinutesPerConversation, r.getMinutesPerConversation());
  Double(F::kAiCostPerConversation, r.getAiCostPerConversation());
}

bool WireAdapter::Properties(wire::Event::Reader r) {
  if (!r.hasProperties()) return true;
  capnp::Text::Reader text = r.getProperties();
  Status parsed = reader_.ParseValue(std::string_view(text.begin(), text.size()), &input.Mutable(F::kProperties));
  if (!parsed.ok()) error_ = "properties: " + parsed.message();
  return parsed.ok();
}

// The wire carries the weights as a struct; rendering them as the JSON object a JSON event would carry lets the
// one csi_weights rule judge both (a NaN weight renders as null, i.e. a missing weight, and is rejected).
bool WireAdapter::CsiWeightsAsJson(wire::Event::Reader r) {
  auto group = r.getCsiWeights();
  if (!group.isValue()) return true;
  wire::CsiWeights::Reader w = group.getValue();
  csi_json_.clear();
  JsonWriter writer(&csi_json_);
  writer.BeginObject()
      .Field("effectiveness", w.getEffectiveness())
      .Field("effort", w.getEffort())
      .Field("efficiency", w.getEfficiency())
      .Field("empathy", w.getEmpathy())
      .EndObject();
  Status parsed = reader_.ParseValue(csi_json_, &input.Mutable(F::kCsiWeights));
  if (!parsed.ok()) error_ = "csi_weights: " + parsed.message();
  return parsed.ok();
}

bool WireAdapter::UnknownFields(wire::Event::Reader r) {
  if (!r.hasUnknownFields()) return true;
  capnp::Text::Reader text = r.getUnknownFields();
  if (text.size() == 0) return true;
  Status parsed = reader_.ParseObject(std::string_view(text.begin(), text.size()), &members_);
  if (!parsed.ok()) {
    error_ = "unknownFields: " + parsed.message();
    return false;
  }
  for (const JsonMember& m : members_) {
    if (m.value.kind == JsonKind::kNull) continue;
    std::optional<F> id = FieldFromName(m.key);
    if (!id) {
      input.unknown_names.push_back(m.key);
    } else if (input.Has(*id)) {
      error_ = fmt::format("malformed event: repeated key \"{}\" (typed field and unknownFields)", m.key);
      return false;
    } else {
      input.Mutable(*id) = m.value;
    }
  }
  return true;
}

std::string WireAdapter::Adapt(wire::Event::Reader r) {
  reader_.Clear();
  input.Clear();
  error_.clear();
  input.size_bytes = r.totalSize().wordCount * sizeof(capnp::word);
  if (!Texts(r)) return error_;
  Scalars(r);
  if (!Properties(r) || !CsiWeightsAsJson(r) || !UnknownFields(r)) return error_;
  // A properties text of "null" means absent, like JSON null.
  return "";
}

}  // namespace

ValidationResult ValidateWireEvent(wire::Event::Reader event, const ValidationContext& ctx) {
  thread_local WireAdapter adapter;
  std::string error;
  // Reading a received message validates pointers lazily and throws on damage; that is "not decodable".
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] { error = adapter.Adapt(event); });
  KJ_IF_MAYBE(e, failure) {
    return MalformedRejection(fmt::format("event could not be decoded: {}", e->getDescription().cStr()));
  }
  if (!error.empty()) return MalformedRejection(std::move(error));
  return ApplyEventRules(adapter.input, ctx);
}

}  // namespace tally
