#include "core/wire_event.h"

#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>

#include "core/event_codec.h"
#include "tests/core/validator_cases.h"

namespace tally {
namespace {

using testing::CaseContext;
using testing::LoadValidatorCases;
using testing::VerdictMessage;
using testing::VerdictName;

// JSON text -> wire struct -> ValidateWireEvent, as the push client and the TCP server do it.
ValidationResult ValidateViaWire(std::string_view json, const ValidationContext& ctx, Status* converted) {
  capnp::MallocMessageBuilder message;
  auto builder = message.initRoot<wire::Event>();
  *converted = JsonToWireEvent(json, builder);
  if (!converted->ok()) return Rejection{Code::kMalformed, converted->message(), "", ""};
  return ValidateWireEvent(builder.asReader(), ctx);
}

// The same verdict, code and message, whichever path an event takes. The allowed differences: malformed JSON
// never reaches the wire (the client's conversion fails with the validator's own code and message), and a
// too_large message names the size of the encoding that arrived.
TEST(WireEventTest, SameVerdictAsJsonForEveryCase) {
  ValidationContext ctx = CaseContext();
  for (const auto& c : LoadValidatorCases("cases.txt")) {
    SCOPED_TRACE(c.file + ":" + std::to_string(c.line));
    ValidationResult json = ValidateJsonEvent(c.raw, ctx);
    Status converted;
    ValidationResult wire = ValidateViaWire(c.raw, ctx, &converted);
    if (!converted.ok()) {
      EXPECT_EQ(converted.code(), Code::kMalformed);
      EXPECT_EQ(VerdictName(json), "malformed");
      EXPECT_EQ(converted.message(), VerdictMessage(json));
      continue;
    }
    ASSERT_EQ(VerdictName(wire), VerdictName(json)) << VerdictMessage(wire) << " vs " << VerdictMessage(json);
    // too_large names the event's size, which is measured in the encoding that arrived.
    if (VerdictName(json) != "too_large") {
      EXPECT_EQ(VerdictMessage(wire), VerdictMessage(json));
    }
    if (auto* event = std::get_if<Event>(&json)) {
      EXPECT_EQ(std::get<Event>(wire), *event);
    }
    if (auto* rejection = std::get_if<Rejection>(&json)) {
      EXPECT_EQ(std::get<Rejection>(wire).event_id, rejection->event_id);
      EXPECT_EQ(std::get<Rejection>(wire).quarantine_store, rejection->quarantine_store);
    }
  }
}

// Seeded random damage to every case (byte flips, deletions, duplications): the two paths must still agree,
// and nothing may crash.
TEST(WireEventTest, SameVerdictAsJsonUnderRandomMutation) {
  ValidationContext ctx = CaseContext();
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\",:0123456789.eE-+ \\untrfalsx\x80\xff";
  int compared = 0;
  for (const auto& c : LoadValidatorCases("cases.txt")) {
    if (c.raw.size() > 4096) continue;
    for (int round = 0; round < 40; ++round) {
      std::string raw = c.raw;
      for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0 && !raw.empty(); --edits) {
        size_t at = rng() % raw.size();
        switch (rng() % 3) {
          case 0: raw[at] = alphabet[rng() % alphabet.size()]; break;
          case 1: raw.erase(at, 1 + rng() % 4); break;
          default: raw.insert(at, raw.substr(at, 1 + rng() % 8)); break;
        }
      }
      ValidationResult json = ValidateJsonEvent(raw, ctx);
      Status converted;
      ValidationResult wire = ValidateViaWire(raw, ctx, &converted);
      if (!converted.ok()) {
        ASSERT_EQ(VerdictName(json), "malformed") << raw;
        continue;
      }
      ++compared;
      ASSERT_EQ(VerdictName(wire), VerdictName(json)) << raw << "\n" << VerdictMessage(wire) << " vs "
                                                      << VerdictMessage(json);
      if (VerdictName(json) != "too_large") {
        ASSERT_EQ(VerdictMessage(wire), VerdictMessage(json)) << raw;
      }
      if (auto* event = std::get_if<Event>(&json)) {
        ASSERT_EQ(std::get<Event>(wire), *event) << raw;
      }
    }
  }
  EXPECT_GT(compared, 1000);
}

TEST(WireEventTest, UnmappableValuesTravelInUnknownFields) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<wire::Event>();
  ASSERT_TRUE(JsonToWireEvent(R"({"type":"usage_recorded","tokens":1.5,"cost_usd":"1","zz":[1, 2],"n":null})", b)
                  .ok());
  EXPECT_EQ(std::string(b.getType().cStr()), "usage_recorded");
  EXPECT_TRUE(b.getTokens().isNone());
  EXPECT_TRUE(b.getCostUsd().isNone());
  EXPECT_EQ(std::string(b.getUnknownFields().cStr()), R"({"tokens":1.5,"cost_usd":"1","zz":[1, 2]})");
}

TEST(WireEventTest, ConversionFailsOnlyForMalformedJson) {
  capnp::MallocMessageBuilder message;
  Status s = JsonToWireEvent(R"({"a":1,"a":2})", message.initRoot<wire::Event>());
  EXPECT_EQ(s.code(), Code::kMalformed);
  EXPECT_NE(s.message().find("repeated key"), std::string::npos);
}

class WireOnlyTest : public ::testing::Test {
 protected:
  wire::Event::Builder Valid() {
    auto b = message_->initRoot<wire::Event>();
    b.setEventId("e1");
    b.setType("knowledge_retrieved");
    b.setStoreId("s1");
    b.setOccurredAt("2026-11-20T10:00:00Z");
    b.setConversationId("c1");
    b.setQuery("q");
    b.setTopic("t");
    b.getConfidence().setValue(0.5);
    return b;
  }
  ValidationResult Validate(wire::Event::Builder b) { return ValidateWireEvent(b.asReader(), CaseContext()); }

  // Held by pointer: the builder's destructor may throw, which a gtest fixture's destructor must not.
  std::unique_ptr<capnp::MallocMessageBuilder> message_ = std::make_unique<capnp::MallocMessageBuilder>();
};

TEST_F(WireOnlyTest, ValidEventIsAccepted) {
  ValidationResult r = Validate(Valid());
  ASSERT_EQ(VerdictName(r), "ok") << VerdictMessage(r);
  EXPECT_EQ(*std::get<Event>(r).confidence, 0.5);
}

TEST_F(WireOnlyTest, UnsetOptionalIsAbsentNotZero) {
  auto b = Valid();
  b.getConfidence().setNone();
  ValidationResult r = Validate(b);
  EXPECT_EQ(VerdictName(r), "missing_field");
  EXPECT_EQ(VerdictMessage(r), "missing required field confidence");
}

TEST_F(WireOnlyTest, NonFiniteDoubleIsInvalid) {
  auto b = Valid();
  b.getConfidence().setValue(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(VerdictMessage(Validate(b)), "confidence must be a number in [0, 1]");
  b.getConfidence().setValue(std::numeric_limits<double>::infinity());
  EXPECT_EQ(VerdictName(Validate(b)), "invalid_value");
}

TEST_F(WireOnlyTest, InvalidUtf8TextIsMalformed) {
  auto b = Valid();
  auto t = b.initQuery(2);
  t[0] = static_cast<char>(0xC3);
  t[1] = '(';
  ValidationResult r = Validate(b);
  EXPECT_EQ(VerdictName(r), "malformed");
  EXPECT_NE(VerdictMessage(r).find("query"), std::string::npos);
}

TEST_F(WireOnlyTest, PropertiesMustBeJsonObjectText) {
  auto b = Valid();
  b.setProperties("{\"a\":");
  EXPECT_EQ(VerdictName(Validate(b)), "malformed");
  b.setProperties("[1]");
  EXPECT_EQ(VerdictMessage(Validate(b)), "properties must be a JSON object");
  b.setProperties(" {\"a\": 1} ");
  ValidationResult r = Validate(b);
  ASSERT_EQ(VerdictName(r), "ok");
  EXPECT_EQ(*std::get<Event>(r).properties, "{\"a\": 1}");
}

TEST_F(WireOnlyTest, UnknownFieldsAreJudgedLikeJson) {
  auto b = Valid();
  b.setUnknownFields(R"({"confidance":0.5})");
  EXPECT_EQ(VerdictMessage(Validate(b)), "unknown field \"confidance\" for type knowledge_retrieved");
  b.setUnknownFields(R"({"confidence":"high"})");
  EXPECT_EQ(VerdictName(Validate(b)), "malformed");  // also set in its typed slot: a repeated key
  b.getConfidence().setNone();
  EXPECT_EQ(VerdictMessage(Validate(b)), "confidence must be a number in [0, 1]");
  b.setUnknownFields("not json");
  EXPECT_EQ(VerdictName(Validate(b)), "malformed");
  b.setUnknownFields("");
  EXPECT_EQ(VerdictName(Validate(b)), "missing_field");
}

TEST_F(WireOnlyTest, CsiWeightsStructIsJudgedByTheSameRule) {
  auto b = message_->initRoot<wire::Event>();
  b.setEventId("e1");
  b.setType("store_configured");
  b.setStoreId("s1");
  b.setOccurredAt("2026-11-20T10:00:00Z");
  auto w = b.getCsiWeights().initValue();
  EXPECT_EQ(VerdictName(Validate(b)), "invalid_value");  // all zero
  w.setEmpathy(std::numeric_limits<double>::quiet_NaN());
  w.setEffort(1);
  EXPECT_EQ(VerdictName(Validate(b)), "invalid_value");
  w.setEmpathy(0.5);
  ValidationResult r = Validate(b);
  ASSERT_EQ(VerdictName(r), "ok") << VerdictMessage(r);
  EXPECT_EQ(std::get<Event>(r).csi_weights, (CsiWeights{0, 1, 0, 0.5}));
}

TEST_F(WireOnlyTest, SizeIsTheStructSize) {
  auto b = Valid();
  std::string big(70'000, 'q');
  b.setQuery(big);
  EXPECT_EQ(VerdictName(Validate(b)), "too_large");
}

// A damaged message (a pointer running past the segment) is rejected, not a crash or an exception.
TEST_F(WireOnlyTest, DamagedMessageIsMalformed) {
  Valid();
  kj::Array<capnp::word> words = capnp::messageToFlatArray(*message_);
  // Word 0 is the segment table and word 1 the root struct pointer (offset in bits 2..31, data section size in
  // words in bits 32..47). The first pointer after the data section is eventId: make it a list pointer whose
  // target lies far outside the segment.
  uint64_t root_ptr;
  std::memcpy(&root_ptr, words.begin() + 1, 8);
  size_t struct_start = 2 + static_cast<size_t>((root_ptr & 0xffffffffu) >> 2);
  size_t data_size = static_cast<size_t>((root_ptr >> 32) & 0xffff);
  uint64_t bad = (uint64_t{0x1fffffff} << 2) | 1 | (uint64_t{2} << 32) | (uint64_t{5} << 35);
  std::memcpy(reinterpret_cast<char*>(words.begin()) + (struct_start + data_size) * 8, &bad, 8);
  capnp::FlatArrayMessageReader reader(words);
  ValidationResult r = ValidateWireEvent(reader.getRoot<wire::Event>(), CaseContext());
  EXPECT_EQ(VerdictName(r), "malformed") << VerdictMessage(r);
  EXPECT_NE(VerdictMessage(r).find("could not be decoded"), std::string::npos) << VerdictMessage(r);
}

}  // namespace
}  // namespace tally
