#include "core/event_codec.h"

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <kj/io.h>

#include <cstring>
#include <random>

#include "core/wire_event.h"
#include "tests/core/validator_cases.h"

namespace tally {
namespace {

using testing::CaseContext;
using testing::LoadValidatorCases;
using testing::VerdictMessage;

// Every event the validator accepts in the case table: all types, optional fields present and absent.
std::vector<Event> AcceptedCaseEvents() {
  std::vector<Event> events;
  for (const auto& c : LoadValidatorCases("cases.txt")) {
    if (c.expected != "ok") continue;
    ValidationResult r = ValidateJsonEvent(c.raw, CaseContext());
    EXPECT_TRUE(std::holds_alternative<Event>(r)) << c.line << ": " << VerdictMessage(r);
    if (auto* e = std::get_if<Event>(&r)) events.push_back(*e);
  }
  return events;
}

Event FullPassCompleted() {
  Event e;
  e.event_id = "ev-1";
  e.type = EventType::kPassCompleted;
  e.store_id = "store.1";
  e.occurred_at_ms = *ParseRfc3339("2026-11-20T14:03:11.250Z");
  e.properties = R"({"k": [1, 2.50, "x"], "n": null})";
  e.shell_file_id = "f1";
  e.profile_id = "p1";
  e.pass = 2;
  e.success = false;
  e.model = "gpt";
  e.tokens = 9'223'372'036'854'775'807;
  e.cost_usd = 0.1 + 0.2;
  e.processing_time_ms = 0;
  e.confidence = 0.75;
  return e;
}

TEST(EventCodecTest, StoredRoundTripForEveryAcceptedCase) {
  auto events = AcceptedCaseEvents();
  ASSERT_GT(events.size(), 40u);
  for (const Event& e : events) {
    std::string bytes = EncodeStoredEvent(e);
    Result<Event> decoded = DecodeStoredEvent(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, e) << EventToJson(e);
  }
}

// Directories of format 1 hold flat values and those of format 2 packed ones; both decode to the same events as
// the compact values of format 3, which start with their own marker and are the smallest.
TEST(EventCodecTest, OlderFormsStillDecode) {
  size_t compact_bytes = 0, packed_bytes = 0, flat_bytes = 0;
  for (const Event& e : AcceptedCaseEvents()) {
    const std::string compact = EncodeStoredEvent(e);
    const std::string packed = EncodeStoredEventPacked(e);
    const std::string flat = EncodeStoredEventFlat(e);
    ASSERT_GE(compact.size(), 2u);
    ASSERT_GE(packed.size(), 2u);
    EXPECT_EQ(compact.substr(0, 2), "\xff\xfe");
    EXPECT_EQ(packed.substr(0, 2), "\xff\xff");
    EXPECT_NE(flat[1], '\xff');
    EXPECT_NE(flat[1], '\xfe');
    compact_bytes += compact.size();
    packed_bytes += packed.size();
    flat_bytes += flat.size();
    for (const std::string* older : {&packed, &flat}) {
      Result<Event> decoded = DecodeStoredEvent(*older);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(*decoded, e) << EventToJson(e);
    }
  }
  EXPECT_LT(packed_bytes, flat_bytes) << "packing drops the zero bytes of StoredEvent's unset fields";
  EXPECT_LT(compact_bytes, packed_bytes) << "the compact form holds the present fields only";
}

// Decoding into an event that held another one (a reader's reused chunk) replaces every field: nothing of the
// previous event survives, whatever the two types.
TEST(EventCodecTest, DecodeIntoAUsedEventReplacesEveryField) {
  auto events = AcceptedCaseEvents();
  events.push_back(FullPassCompleted());
  Event csi;
  csi.event_id = "ev-csi";
  csi.type = EventType::kStoreConfigured;
  csi.store_id = "s";
  csi.csi_weights = CsiWeights{0.1, 0.2, 0.3, 0.4};
  events.push_back(csi);
  ASSERT_GT(events.size(), 40u);
  for (size_t i = 0; i < events.size(); ++i) {
    // The previous event: the one before, and the fully populated ones, so every kind of field is stale.
    for (const Event* previous :
         {&events[(i + events.size() - 1) % events.size()], &events[events.size() - 2], &events.back()}) {
      Event reused = *previous;
      Status s = DecodeStoredEvent(EncodeStoredEvent(events[i]), &reused);
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(reused, events[i]) << "decoded over " << EventToJson(*previous) << "\n" << EventToJson(events[i]);
    }
  }
}

TEST(EventCodecTest, StoredRoundTripKeepsEmbeddedNulAndUnsetVersusZero) {
  Event e = FullPassCompleted();
  e.model = std::string("a\0b", 3);
  e.entities = 0;  // present zero
  Result<Event> decoded = DecodeStoredEvent(EncodeStoredEvent(e));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, e);
  EXPECT_EQ(decoded->entities, std::optional<int64_t>(0));
  EXPECT_FALSE(decoded->manual_review.has_value());
  EXPECT_FALSE(decoded->conversation_id.has_value());
}

// Every form of FullPassCompleted: the compact value of format 3, the packed one of format 2, the flat one of
// format 1.
std::vector<std::string> AllForms() {
  return {EncodeStoredEvent(FullPassCompleted()), EncodeStoredEventPacked(FullPassCompleted()),
          EncodeStoredEventFlat(FullPassCompleted())};
}

// The packed value of the message that a flat value holds (marker included).
std::string Repacked(const std::string& flat) {
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(flat.size() / sizeof(capnp::word));
  std::memcpy(static_cast<void*>(words.begin()), flat.data(), flat.size());
  capnp::FlatArrayMessageReader reader(words);
  capnp::MallocMessageBuilder copy;
  copy.setRoot(reader.getRoot<wire::StoredEvent>());
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, copy);
  return "\xff\xff" + std::string(reinterpret_cast<const char*>(out.getArray().begin()), out.getArray().size());
}

TEST(EventCodecTest, DecodeAcceptsUnalignedInput) {
  for (const std::string& bytes : AllForms()) {
    std::string shifted = "x" + bytes;
    Result<Event> decoded = DecodeStoredEvent(std::string_view(shifted).substr(1));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, FullPassCompleted());
  }
}

TEST(EventCodecTest, DecodeRejectsGarbageWithCorruption) {
  EXPECT_EQ(DecodeStoredEvent("").status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeStoredEvent("1234567").status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeStoredEvent(std::string(8, '\xff')).status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeStoredEvent("\xff\xff").status().code(), Code::kCorruption) << "a marker and nothing else";
  EXPECT_EQ(DecodeStoredEvent("\xff\xfe").status().code(), Code::kCorruption) << "a marker and nothing else";
  for (const std::string& bytes : AllForms()) {
    EXPECT_EQ(DecodeStoredEvent(bytes + std::string(8, '\0')).status().code(), Code::kCorruption);
    for (size_t len = 1; len < bytes.size(); ++len) {
      EXPECT_EQ(DecodeStoredEvent(std::string_view(bytes).substr(0, len)).status().code(), Code::kCorruption) << len;
    }
  }
}

TEST(EventCodecTest, DecodeRejectsUnknownEnumValues) {
  std::string bytes = EncodeStoredEventFlat(FullPassCompleted());
  // One segment: word 0 is the segment table, word 1 the root pointer, word 2 starts the data section, whose
  // first 16 bits hold `type` (the first non-pointer field of StoredEvent).
  bytes[16] = 99;
  bytes[17] = 0;
  EXPECT_EQ(DecodeStoredEvent(bytes).status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeStoredEvent(Repacked(bytes)).status().code(), Code::kCorruption);
  EXPECT_TRUE(DecodeStoredEvent(Repacked(EncodeStoredEventFlat(FullPassCompleted()))).ok());
}

// The compact form: marker (2 bytes), type (1), occurred_at, presence mask, then the fields.
TEST(EventCodecTest, CompactFormRejectsUnknownTypesFieldsAndEnumValues) {
  Event e = FullPassCompleted();
  const std::string good = EncodeStoredEvent(e);
  ASSERT_TRUE(DecodeStoredEvent(good).ok());
  std::string bytes = good;
  bytes[2] = 99;  // no such type
  EXPECT_EQ(DecodeStoredEvent(bytes).status().code(), Code::kCorruption);

  // A presence bit this build does not know: bit 48, a 7-byte varint in place of a minimal event's empty mask.
  Event minimal;
  minimal.event_id = "e";
  minimal.type = EventType::kConversationStarted;
  minimal.store_id = "s";
  minimal.occurred_at_ms = 0;
  const std::string plain = EncodeStoredEvent(minimal);  // ff fe, type, 00 (time), 00 (mask), ids
  ASSERT_EQ(plain.substr(2, 3), std::string("\x00\x00\x00", 3));
  std::string unknown_bit = plain.substr(0, 4) + std::string("\x80\x80\x80\x80\x80\x80\x40", 7) + plain.substr(5);
  Result<Event> unknown = DecodeStoredEvent(unknown_bit);  // mask bit 48
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kCorruption);
  EXPECT_NE(unknown.status().message().find("does not know"), std::string::npos) << unknown.status().ToString();

  // An enum byte out of range: sender is the last byte of a message_sent without texts other than the ids.
  Event message = minimal;
  message.type = EventType::kMessageSent;
  message.sender = Sender::kAi;
  std::string with_sender = EncodeStoredEvent(message);
  ASSERT_EQ(with_sender.back(), static_cast<char>(Sender::kAi));
  with_sender.back() = 3;
  EXPECT_EQ(DecodeStoredEvent(with_sender).status().code(), Code::kCorruption);
  // And a bool byte other than 0 or 1 (success is the last byte of this pass_completed).
  Event pass = minimal;
  pass.type = EventType::kPassCompleted;
  pass.success = true;
  std::string with_bool = EncodeStoredEvent(pass);
  ASSERT_EQ(with_bool.back(), 1);
  with_bool.back() = 2;
  EXPECT_EQ(DecodeStoredEvent(with_bool).status().code(), Code::kCorruption);
  // A 32-bit field (pass, the last varint here: zigzag(1) = 2) holding a value past int32.
  Event passed = minimal;
  passed.type = EventType::kPassCompleted;
  passed.pass = 1;
  std::string with_pass = EncodeStoredEvent(passed);
  ASSERT_EQ(with_pass.back(), 2);
  with_pass.pop_back();
  EXPECT_TRUE(DecodeStoredEvent(with_pass + "\xfe\xff\xff\xff\x0f").ok()) << "zigzag(INT32_MAX)";
  EXPECT_EQ(DecodeStoredEvent(with_pass + std::string("\x80\x80\x80\x80\x10", 5)).status().code(), Code::kCorruption)
      << "zigzag(2^31)";
}

// Random damage must never crash or throw: every outcome is either an event or kCorruption.
void DamageNeverCrashes(const std::string& original) {
  std::mt19937 rng(20261120);
  int corrupt = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string bytes = original;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
    Result<Event> decoded = DecodeStoredEvent(bytes);
    if (!decoded.ok()) {
      ASSERT_EQ(decoded.status().code(), Code::kCorruption);
      ++corrupt;
    }
  }
  EXPECT_GT(corrupt, 0);
}

TEST(EventCodecTest, RandomDamageNeverCrashes) {
  for (const std::string& original : AllForms()) ASSERT_NO_FATAL_FAILURE(DamageNeverCrashes(original));
  std::mt19937 rng(20261123);
  for (int i = 0; i < 10'000; ++i) {
    std::string bytes(8 * (1 + rng() % 64), '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (i % 3 == 0) bytes[0] = bytes[1] = '\xff';          // random packed input
    if (i % 3 == 1) bytes[0] = '\xff', bytes[1] = '\xfe';  // random compact input
    Result<Event> decoded = DecodeStoredEvent(bytes);
    if (!decoded.ok()) {
      ASSERT_EQ(decoded.status().code(), Code::kCorruption);
    }
  }
}

TEST(EventCodecTest, JsonIsFlatEnvelopeFirstCatalogueOrderAbsentOmitted) {
  EXPECT_EQ(EventToJson(FullPassCompleted()),
            R"({"event_id":"ev-1","type":"pass_completed","store_id":"store.1",)"
            R"("occurred_at":"2026-11-20T14:03:11.250Z","properties":{"k": [1, 2.50, "x"], "n": null},)"
            R"("shell_file_id":"f1","profile_id":"p1","pass":2,"success":false,"model":"gpt",)"
            R"("tokens":9223372036854775807,"cost_usd":0.30000000000000004,"processing_time_ms":0,)"
            R"("confidence":0.75})");
}

TEST(EventCodecTest, JsonOfStoreConfiguredAndEnums) {
  Event e;
  e.event_id = "e";
  e.type = EventType::kStoreConfigured;
  e.store_id = "s";
  e.occurred_at_ms = *ParseRfc3339("2026-01-02T03:04:05Z");
  e.timezone = "Europe/Paris";
  e.csi_weights = CsiWeights{0.5, 0, 0.25, 0.25};
  EXPECT_EQ(EventToJson(e), R"({"event_id":"e","type":"store_configured","store_id":"s",)"
                            R"("occurred_at":"2026-01-02T03:04:05.000Z","timezone":"Europe/Paris",)"
                            R"("csi_weights":{"effectiveness":0.5,"effort":0,"efficiency":0.25,"empathy":0.25}})");
  Event m;
  m.event_id = "e";
  m.type = EventType::kMessageSent;
  m.store_id = "s";
  m.occurred_at_ms = 0;
  m.conversation_id = "c";
  m.sender = Sender::kAi;
  m.text = "line\n\"quoted\"";
  EXPECT_EQ(EventToJson(m), R"({"event_id":"e","type":"message_sent","store_id":"s",)"
                            R"("occurred_at":"1970-01-01T00:00:00.000Z","conversation_id":"c","sender":"ai",)"
                            R"("text":"line\n\"quoted\""})");
}

// dump -> import: the JSON of every accepted event validates back to the same event.
TEST(EventCodecTest, JsonRoundTripThroughTheValidator) {
  auto events = AcceptedCaseEvents();
  events.push_back(FullPassCompleted());
  for (const Event& e : events) {
    std::string json = EventToJson(e);
    ValidationResult r = ValidateJsonEvent(json, CaseContext());
    ASSERT_TRUE(std::holds_alternative<Event>(r)) << json << "\n" << VerdictMessage(r);
    EXPECT_EQ(std::get<Event>(r), e) << json;
  }
}

TEST(EventCodecTest, EventToWireRoundTripThroughTheWireValidator) {
  auto events = AcceptedCaseEvents();
  events.push_back(FullPassCompleted());
  for (const Event& e : events) {
    capnp::MallocMessageBuilder message;
    auto builder = message.initRoot<wire::Event>();
    EventToWire(e, builder);
    ValidationResult r = ValidateWireEvent(builder.asReader(), CaseContext());
    ASSERT_TRUE(std::holds_alternative<Event>(r)) << EventToJson(e) << "\n" << VerdictMessage(r);
    EXPECT_EQ(std::get<Event>(r), e) << EventToJson(e);
  }
}

}  // namespace
}  // namespace tally
