#include "core/event_codec.h"

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <fmt/format.h>
#include <kj/exception.h>
#include <kj/io.h>

#include <cstring>

#include "core/event_compact.h"
#include "core/event_fields.h"
#include "core/event_scalars.h"

namespace tally {
namespace {

// Log values of format 3 start with these two bytes, then the compact form (event_compact.h); those of format 2
// with the second pair, then the packed message. A flat (format 1) value starts with its segment count minus
// one as a little-endian u32, which Cap'n Proto caps at 512 segments: its second byte is never above 0x01.
constexpr char kCompactMarker[2] = {'\xff', '\xfe'};
constexpr char kPackedMarker[2] = {'\xff', '\xff'};

// std::string is NUL-terminated, which is what capnp::Text::Reader requires; embedded NULs survive because the
// length is explicit.
capnp::Text::Reader TextOf(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }

void EncodeTexts(const Event& e, wire::StoredEvent::Builder b) {
  b.setEventId(TextOf(e.event_id));
  b.setStoreId(TextOf(e.store_id));
  auto put = [](const std::optional<std::string>& v, auto setter) {
    if (v) setter(TextOf(*v));
  };
  put(e.properties, [&](auto t) { b.setProperties(t); });
  put(e.conversation_id, [&](auto t) { b.setConversationId(t); });
  put(e.customer_id, [&](auto t) { b.setCustomerId(t); });
  put(e.channel, [&](auto t) { b.setChannel(t); });
  put(e.customer_name, [&](auto t) { b.setCustomerName(t); });
  put(e.text, [&](auto t) { b.setText(t); });
  put(e.agent_id, [&](auto t) { b.setAgentId(t); });
  put(e.reason, [&](auto t) { b.setReason(t); });
  put(e.query, [&](auto t) { b.setQuery(t); });
  put(e.topic, [&](auto t) { b.setTopic(t); });
  put(e.url, [&](auto t) { b.setUrl(t); });
  put(e.shell_file_id, [&](auto t) { b.setShellFileId(t); });
  put(e.profile_id, [&](auto t) { b.setProfileId(t); });
  put(e.model, [&](auto t) { b.setModel(t); });
  put(e.service, [&](auto t) { b.setService(t); });
  put(e.operation, [&](auto t) { b.setOperation(t); });
  put(e.timezone, [&](auto t) { b.setTimezone(t); });
}

void EncodeScalars(const Event& e, wire::StoredEvent::Builder b) {
  if (e.sender) b.getSender().setValue(static_cast<wire::Sender>(*e.sender));
  if (e.resolved_by) b.getResolvedBy().setValue(static_cast<wire::ResolvedBy>(*e.resolved_by));
  if (e.analysis_date) b.getAnalysisDate().setValue(*e.analysis_date);
  if (e.status) b.getStatus().setValue(static_cast<wire::GapStatus>(*e.status));
  PutNumericScalars(e, b);
}

// Replaces *out with the text when `has`, reusing the string's capacity; clears it otherwise. `get` is only
// called when `has`: building the reader of an absent text cost as much as testing it (callgrind, replay).
template <typename Get>
void DecodeText(std::optional<std::string>* out, bool has, Get get) {
  if (!has) {
    out->reset();
    return;
  }
  capnp::Text::Reader t = get();
  *out = std::string_view(t.begin(), t.size());  // assigns into the held string when there is one
}

// Most events carry only a few of the seventeen texts.
void DecodeTexts(wire::StoredEvent::Reader r, Event* e) {
  capnp::Text::Reader id = r.getEventId(), store = r.getStoreId();
  e->event_id.assign(id.begin(), id.size());
  e->store_id.assign(store.begin(), store.size());
  DecodeText(&e->properties, r.hasProperties(), [&] { return r.getProperties(); });
  DecodeText(&e->conversation_id, r.hasConversationId(), [&] { return r.getConversationId(); });
  DecodeText(&e->customer_id, r.hasCustomerId(), [&] { return r.getCustomerId(); });
  DecodeText(&e->channel, r.hasChannel(), [&] { return r.getChannel(); });
  DecodeText(&e->customer_name, r.hasCustomerName(), [&] { return r.getCustomerName(); });
  DecodeText(&e->text, r.hasText(), [&] { return r.getText(); });
  DecodeText(&e->agent_id, r.hasAgentId(), [&] { return r.getAgentId(); });
  DecodeText(&e->reason, r.hasReason(), [&] { return r.getReason(); });
  DecodeText(&e->query, r.hasQuery(), [&] { return r.getQuery(); });
  DecodeText(&e->topic, r.hasTopic(), [&] { return r.getTopic(); });
  DecodeText(&e->url, r.hasUrl(), [&] { return r.getUrl(); });
  DecodeText(&e->shell_file_id, r.hasShellFileId(), [&] { return r.getShellFileId(); });
  DecodeText(&e->profile_id, r.hasProfileId(), [&] { return r.getProfileId(); });
  DecodeText(&e->model, r.hasModel(), [&] { return r.getModel(); });
  DecodeText(&e->service, r.hasService(), [&] { return r.getService(); });
  DecodeText(&e->operation, r.hasOperation(), [&] { return r.getOperation(); });
  DecodeText(&e->timezone, r.hasTimezone(), [&] { return r.getTimezone(); });
}

template <typename Group, typename T>
void DecodeOptional(Group g, std::optional<T>* out) {
  if (g.isValue()) {
    *out = static_cast<T>(g.getValue());
  } else {
    out->reset();
  }
}

// Returns false when an enum holds a value this build does not know (a damaged or future log).
bool DecodeScalars(wire::StoredEvent::Reader r, Event* e) {
  if (static_cast<int>(r.getType()) >= kEventTypeCount) return false;
  e->type = static_cast<EventType>(r.getType());
  if (r.getSender().isValue() && static_cast<int>(r.getSender().getValue()) > 2) return false;
  if (r.getResolvedBy().isValue() && static_cast<int>(r.getResolvedBy().getValue()) > 1) return false;
  if (r.getStatus().isValue() && static_cast<int>(r.getStatus().getValue()) > 2) return false;
  DecodeOptional(r.getSender(), &e->sender);
  DecodeOptional(r.getResolvedBy(), &e->resolved_by);
  DecodeOptional(r.getStatus(), &e->status);
  DecodeOptional(r.getConfidence(), &e->confidence);
  DecodeOptional(r.getOverall(), &e->overall);
  DecodeOptional(r.getHelpfulness(), &e->helpfulness);
  DecodeOptional(r.getAccuracy(), &e->accuracy);
  DecodeOptional(r.getPoliteness(), &e->politeness);
  DecodeOptional(r.getAnalysisDate(), &e->analysis_date);
  DecodeOptional(r.getSentimentScore(), &e->sentiment_score);
  DecodeOptional(r.getSentimentShift(), &e->sentiment_shift);
  DecodeOptional(r.getResolutionAchieved(), &e->resolution_achieved);
  DecodeOptional(r.getFcrScore(), &e->fcr_score);
  DecodeOptional(r.getCes(), &e->ces);
  DecodeOptional(r.getPass(), &e->pass);
  DecodeOptional(r.getSuccess(), &e->success);
  DecodeOptional(r.getTokens(), &e->tokens);
  DecodeOptional(r.getCostUsd(), &e->cost_usd);
  DecodeOptional(r.getProcessingTimeMs(), &e->processing_time_ms);
  DecodeOptional(r.getEntities(), &e->entities);
  DecodeOptional(r.getManualReview(), &e->manual_review);
  DecodeOptional(r.getGapConfidenceThreshold(), &e->gap_confidence_threshold);
  DecodeOptional(r.getHumanCostPerHour(), &e->human_cost_per_hour);
  DecodeOptional(r.getMinutesPerConversation(), &e->minutes_per_conversation);
  DecodeOptional(r.getAiCostPerConversation(), &e->ai_cost_per_conversation);
  if (r.getCsiWeights().isValue()) {
    wire::CsiWeights::Reader w = r.getCsiWeights().getValue();
    e->csi_weights = CsiWeights{w.getEffectiveness(), w.getEffort(), w.getEfficiency(), w.getEmpathy()};
  } else {
    e->csi_weights.reset();
  }
  return true;
}

// Writes one present type field; absent fields write nothing.
void WriteField(const Event& e, FieldId id, JsonWriter* w) {
  const FieldSpec& spec = SpecOf(id);
  std::string_view name = spec.name;
  if (auto s = std::get_if<std::optional<std::string> Event::*>(&spec.member)) {
    if (e.**s) w->Field(name, std::string_view(*(e.**s)));
  } else if (auto d = std::get_if<std::optional<double> Event::*>(&spec.member)) {
    if (e.**d) w->Field(name, *(e.**d));
  } else if (auto i = std::get_if<std::optional<int64_t> Event::*>(&spec.member)) {
    if (e.**i) w->Field(name, *(e.**i));
  } else if (auto b = std::get_if<std::optional<bool> Event::*>(&spec.member)) {
    if (e.**b) w->Field(name, *(e.**b));
  } else if (id == FieldId::kSender && e.sender) {
    w->Field(name, SenderName(*e.sender));
  } else if (id == FieldId::kResolvedBy && e.resolved_by) {
    w->Field(name, ResolvedByName(*e.resolved_by));
  } else if (id == FieldId::kStatus && e.status) {
    w->Field(name, GapStatusName(*e.status));
  } else if (id == FieldId::kPass && e.pass) {
    w->Field(name, static_cast<int64_t>(*e.pass));
  } else if (id == FieldId::kAnalysisDate && e.analysis_date) {
    w->Field(name, FormatDate(*e.analysis_date));
  } else if (id == FieldId::kCsiWeights && e.csi_weights) {
    w->Key(name).BeginObject();
    w->Field("effectiveness", e.csi_weights->effectiveness).Field("effort", e.csi_weights->effort);
    w->Field("efficiency", e.csi_weights->efficiency).Field("empathy", e.csi_weights->empathy);
    w->EndObject();
  }
}

// A first segment big enough for the whole event, so encoding allocates (and zeroes) one small segment instead
// of the builder's default 8 KiB.
unsigned EstimateWords(const Event& e) {
  size_t bytes = e.event_id.size() + e.store_id.size();
  for (const std::optional<std::string>* s :
       {&e.properties, &e.conversation_id, &e.customer_id, &e.channel, &e.customer_name, &e.text, &e.agent_id,
        &e.reason, &e.query, &e.topic, &e.url, &e.shell_file_id, &e.profile_id, &e.model, &e.service, &e.operation,
        &e.timezone}) {
    if (*s) bytes += (*s)->size() + 8;  // NUL and padding
  }
  constexpr size_t kStructWords = 64;  // data and pointer sections of StoredEvent, with room to grow
  return static_cast<unsigned>(kStructWords + bytes / sizeof(capnp::word) + 8);
}

void BuildStoredEvent(const Event& event, capnp::MessageBuilder& message) {
  wire::StoredEvent::Builder b = message.initRoot<wire::StoredEvent>();
  b.setType(static_cast<wire::EventType>(event.type));
  b.setOccurredAtMs(event.occurred_at_ms);
  EncodeTexts(event, b);
  EncodeScalars(event, b);
}

// Reads the root of a decoded message into *out; false when an enum value is unknown. Throws kj exceptions on
// damaged input (the callers catch them).
bool ReadStoredEvent(capnp::MessageReader& reader, Event* out) {
  wire::StoredEvent::Reader r = reader.getRoot<wire::StoredEvent>();
  out->occurred_at_ms = r.getOccurredAtMs();
  DecodeTexts(r, out);
  return DecodeScalars(r, out);
}

// Runs a decode (fn sets *trailing and returns whether the enums were known) and turns its outcome into a Status.
template <typename Fn>
Status RunDecode(Fn&& fn) {
  bool enums_ok = true;
  bool trailing = false;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] { enums_ok = fn(&trailing); });
  KJ_IF_MAYBE (e, failure) {
    return Status(Code::kCorruption, fmt::format("stored event does not decode: {}", e->getDescription().cStr()));
  }
  if (trailing) return Status(Code::kCorruption, "stored event has trailing bytes");
  if (!enums_ok) return Status(Code::kCorruption, "stored event holds an unknown enum value");
  return Status::Ok();
}

// The packed form (after the marker). The unpacked words go into a per-thread scratch buffer, so a reader that
// decodes event after event does not allocate for them (an event larger than the buffer gets its own).
Status DecodePacked(std::string_view packed, Event* out) {
  thread_local kj::Array<capnp::word> scratch = kj::heapArray<capnp::word>(4096);
  return RunDecode([&](bool* trailing) {
    kj::ArrayInputStream stream(kj::arrayPtr(reinterpret_cast<const kj::byte*>(packed.data()), packed.size()));
    capnp::PackedMessageReader reader(stream, capnp::ReaderOptions(), scratch);
    bool enums_ok = ReadStoredEvent(reader, out);
    *trailing = stream.tryGetReadBuffer().size() != 0;
    return enums_ok;
  });
}

// The flat form of format 1 directories: whole words, read in place.
Status DecodeFlat(std::string_view bytes, Event* out) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return Status(Code::kCorruption, fmt::format("stored event of {} bytes is not whole words", bytes.size()));
  }
  // Values from the store carry no alignment guarantee and Cap'n Proto needs word alignment: copy only when
  // the bytes are misaligned.
  size_t words = bytes.size() / sizeof(capnp::word);
  kj::Array<capnp::word> copy;
  kj::ArrayPtr<const capnp::word> aligned;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(capnp::word) == 0) {
    aligned = kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()), words);
  } else {
    copy = kj::heapArray<capnp::word>(words);
    std::memcpy(static_cast<void*>(copy.begin()), bytes.data(), bytes.size());
    aligned = copy;
  }
  return RunDecode([&](bool* trailing) {
    capnp::FlatArrayMessageReader reader(aligned);
    *trailing = reader.getEnd() != aligned.end();
    return ReadStoredEvent(reader, out);
  });
}

}  // namespace

std::string EncodeStoredEvent(const Event& event) {
  std::string out;
  AppendStoredEvent(event, &out);
  return out;
}

void AppendStoredEvent(const Event& event, std::string* out) {
  out->append(kCompactMarker, sizeof(kCompactMarker));
  AppendCompactEvent(event, out);
}

std::string EncodeStoredEventPacked(const Event& event) {
  capnp::MallocMessageBuilder message(EstimateWords(event));
  BuildStoredEvent(event, message);
  // Packing turns each word into a tag byte and its non-zero bytes (runs of zero or dense words take a count
  // byte), so the output stays below 10/8 of the flat size plus the segment table and the marker.
  const size_t flat_bytes = capnp::computeSerializedSizeInWords(message) * sizeof(capnp::word);
  std::string out(sizeof(kPackedMarker) + flat_bytes + flat_bytes / 4 + 16, '\0');
  std::memcpy(out.data(), kPackedMarker, sizeof(kPackedMarker));
  kj::ArrayOutputStream stream(kj::arrayPtr(reinterpret_cast<kj::byte*>(out.data()) + sizeof(kPackedMarker),
                                            out.size() - sizeof(kPackedMarker)));
  capnp::writePackedMessage(stream, message);
  out.resize(sizeof(kPackedMarker) + stream.getArray().size());
  return out;
}

Status DecodeStoredEvent(std::string_view bytes, Event* out) {
  if (bytes.size() >= sizeof(kCompactMarker) &&
      std::memcmp(bytes.data(), kCompactMarker, sizeof(kCompactMarker)) == 0) {
    return DecodeCompactEvent(bytes.substr(sizeof(kCompactMarker)), out);
  }
  if (bytes.size() >= sizeof(kPackedMarker) && std::memcmp(bytes.data(), kPackedMarker, sizeof(kPackedMarker)) == 0) {
    return DecodePacked(bytes.substr(sizeof(kPackedMarker)), out);
  }
  return DecodeFlat(bytes, out);
}

std::string EncodeStoredEventFlat(const Event& event) {
  capnp::MallocMessageBuilder message(EstimateWords(event));
  BuildStoredEvent(event, message);
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  kj::ArrayPtr<const char> bytes = words.asChars();
  return std::string(bytes.begin(), bytes.size());
}

Result<Event> DecodeStoredEvent(std::string_view bytes) {
  Event event;
  if (Status s = DecodeStoredEvent(bytes, &event); !s.ok()) return s;
  return event;
}

void WriteEventJson(const Event& event, JsonWriter* writer) {
  writer->BeginObject();
  writer->Field("event_id", std::string_view(event.event_id));
  writer->Field("type", EventTypeName(event.type));
  writer->Field("store_id", std::string_view(event.store_id));
  writer->Field("occurred_at", FormatRfc3339(event.occurred_at_ms));
  if (event.properties) writer->Key("properties").Raw(*event.properties);
  for (FieldId id : RequiredFields(event.type)) WriteField(event, id, writer);
  for (FieldId id : OptionalFields(event.type)) WriteField(event, id, writer);
  writer->EndObject();
}

std::string EventToJson(const Event& event) {
  std::string out;
  JsonWriter writer(&out);
  WriteEventJson(event, &writer);
  return out;
}

}  // namespace tally
