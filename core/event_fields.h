// The event catalogue (CONTRACT §1.1-1.2) as data: every field an event may carry, the rule its value obeys,
// and which fields each type requires and allows. The validator, the wire adapter, the codecs and the JSON
// writer all walk these tables, so a field or a rule is written down exactly once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/event.h"

namespace tally {

// Envelope first, then the type fields in the order the catalogue first lists them. The enum order is the
// order in which fields are checked and written; it is not stored anywhere, so it may be extended freely.
enum class FieldId : uint8_t {
  kEventId, kType, kStoreId, kOccurredAt, kProperties,
  kConversationId, kCustomerId, kChannel, kCustomerName, kSender, kText, kAgentId, kResolvedBy, kReason,
  kQuery, kTopic, kConfidence, kUrl,
  kOverall, kHelpfulness, kAccuracy, kPoliteness,
  kAnalysisDate, kSentimentScore, kSentimentShift, kResolutionAchieved, kFcrScore, kCes,
  kShellFileId, kProfileId, kPass, kSuccess, kModel, kTokens, kCostUsd, kProcessingTimeMs, kEntities,
  kManualReview, kService, kOperation,
  kStatus,
  kTimezone, kGapConfidenceThreshold, kHumanCostPerHour, kMinutesPerConversation, kAiCostPerConversation,
  kCsiWeights,
};
constexpr size_t kFieldCount = static_cast<size_t>(FieldId::kCsiWeights) + 1;

// What a field's value must be.
enum class FieldRule : uint8_t {
  kEventId,     // string of 1-128 bytes
  kType,        // one of the catalogue's type names
  kStoreId,     // 1-128 bytes of [A-Za-z0-9_.:-]
  kOccurredAt,  // RFC 3339, not before 2000-01-01, not more than 24 h ahead
  kProperties,  // a JSON object, kept byte for byte
  kName,        // ids and short names: string of 1-128 bytes
  kFreeText,    // string of at most 16 KiB (valid UTF-8 is guaranteed by decoding)
  kSender,
  kResolvedBy,
  kGapStatus,
  kNumber,      // finite number in [min, max]
  kInteger,     // JSON integer (no fraction, no exponent) in [min, max]
  kBool,
  kDate,        // YYYY-MM-DD
  kTimezone,    // IANA zone name
  kCsiWeights,  // object of the four weights, each >= 0, not all 0
};

// Where a field lives in Event, for the generic walks; fields with a special representation use monostate.
using EventMember = std::variant<std::monostate, std::optional<std::string> Event::*,
                                 std::optional<double> Event::*, std::optional<int64_t> Event::*,
                                 std::optional<bool> Event::*>;

struct FieldSpec {
  std::string_view name;  // JSON name (snake_case)
  FieldRule rule;
  double min = 0;  // kNumber / kInteger range, inclusive
  double max = 0;
  EventMember member;
};

const FieldSpec& SpecOf(FieldId id);
inline std::string_view FieldName(FieldId id) { return SpecOf(id).name; }
std::optional<FieldId> FieldFromName(std::string_view name);

// The envelope fields every type carries.
std::span<const FieldId> EnvelopeFields();
// The type's own fields, in catalogue order.
std::span<const FieldId> RequiredFields(EventType type);
std::span<const FieldId> OptionalFields(EventType type);
// Envelope or listed for the type.
bool IsAllowed(EventType type, FieldId id);

}  // namespace tally
