#include "core/event_fields.h"

#include <array>
#include <limits>

namespace tally {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
using F = FieldId;
using R = FieldRule;

// Indexed by FieldId (tests check every name maps back to its id).
const std::array<FieldSpec, kFieldCount> kSpecs = {{
    {"event_id", R::kEventId, 0, 0, {}},
    {"type", R::kType, 0, 0, {}},
    {"store_id", R::kStoreId, 0, 0, {}},
    {"occurred_at", R::kOccurredAt, 0, 0, {}},
    {"properties", R::kProperties, 0, 0, &Event::properties},
    {"conversation_id", R::kName, 0, 0, &Event::conversation_id},
    {"customer_id", R::kName, 0, 0, &Event::customer_id},
    {"channel", R::kName, 0, 0, &Event::channel},
    {"customer_name", R::kFreeText, 0, 0, &Event::customer_name},
    {"sender", R::kSender, 0, 0, {}},
    {"text", R::kFreeText, 0, 0, &Event::text},
    {"agent_id", R::kName, 0, 0, &Event::agent_id},
    {"resolved_by", R::kResolvedBy, 0, 0, {}},
    {"reason", R::kFreeText, 0, 0, &Event::reason},
    {"query", R::kFreeText, 0, 0, &Event::query},
    {"topic", R::kName, 0, 0, &Event::topic},
    {"confidence", R::kNumber, 0, 1, &Event::confidence},
    {"url", R::kFreeText, 0, 0, &Event::url},
    {"overall", R::kNumber, 0, 1, &Event::overall},
    {"helpfulness", R::kNumber, 0, 1, &Event::helpfulness},
    {"accuracy", R::kNumber, 0, 1, &Event::accuracy},
    {"politeness", R::kNumber, 0, 1, &Event::politeness},
    {"analysis_date", R::kDate, 0, 0, {}},
    {"sentiment_score", R::kNumber, 0, 10, &Event::sentiment_score},
    {"sentiment_shift", R::kNumber, -5, 5, &Event::sentiment_shift},
    {"resolution_achieved", R::kNumber, 0, 10, &Event::resolution_achieved},
    {"fcr_score", R::kNumber, 0, 10, &Event::fcr_score},
    {"ces", R::kNumber, 1, 7, &Event::ces},
    {"shell_file_id", R::kName, 0, 0, &Event::shell_file_id},
    {"profile_id", R::kName, 0, 0, &Event::profile_id},
    {"pass", R::kInteger, 1, 3, {}},
    {"success", R::kBool, 0, 0, &Event::success},
    {"model", R::kName, 0, 0, &Event::model},
    {"tokens", R::kInteger, 0, kInf, &Event::tokens},
    {"cost_usd", R::kNumber, 0, kInf, &Event::cost_usd},
    {"processing_time_ms", R::kInteger, 0, kInf, &Event::processing_time_ms},
    {"entities", R::kInteger, 0, kInf, &Event::entities},
    {"manual_review", R::kBool, 0, 0, &Event::manual_review},
    {"service", R::kName, 0, 0, &Event::service},
    {"operation", R::kName, 0, 0, &Event::operation},
    {"status", R::kGapStatus, 0, 0, {}},
    {"timezone", R::kTimezone, 0, 0, &Event::timezone},
    {"gap_confidence_threshold", R::kNumber, 0, 1, &Event::gap_confidence_threshold},
    {"human_cost_per_hour", R::kNumber, 0, kInf, &Event::human_cost_per_hour},
    {"minutes_per_conversation", R::kNumber, 0, kInf, &Event::minutes_per_conversation},
    {"ai_cost_per_conversation", R::kNumber, 0, kInf, &Event::ai_cost_per_conversation},
    {"csi_weights", R::kCsiWeights, 0, 0, {}},
}};

constexpr std::array kEnvelope = {F::kEventId, F::kType, F::kStoreId, F::kOccurredAt, F::kProperties};

struct TypeFields {
  std::span<const FieldId> required;
  std::span<const FieldId> optional;
};

constexpr std::array kStartedReq = {F::kConversationId, F::kCustomerId};
constexpr std::array kStartedOpt = {F::kChannel, F::kCustomerName};
constexpr std::array kMessageReq = {F::kConversationId, F::kSender};
constexpr std::array kMessageOpt = {F::kText, F::kAgentId};
constexpr std::array kConversationOnly = {F::kConversationId};
constexpr std::array kResolvedOpt = {F::kResolvedBy};
constexpr std::array kEscalatedOpt = {F::kReason};
constexpr std::array kKnowledgeReq = {F::kConversationId, F::kQuery, F::kTopic, F::kConfidence};
constexpr std::array kCitationOpt = {F::kUrl};
constexpr std::array kQualityReq = {F::kConversationId, F::kOverall, F::kHelpfulness, F::kAccuracy,
                                    F::kPoliteness};
constexpr std::array kAnalysisReq = {F::kConversationId, F::kAnalysisDate, F::kSentimentScore,
                                     F::kSentimentShift, F::kResolutionAchieved, F::kFcrScore, F::kCes};
constexpr std::array kPassReq = {F::kShellFileId, F::kProfileId, F::kPass, F::kSuccess,
                                 F::kModel, F::kTokens, F::kCostUsd, F::kProcessingTimeMs};
constexpr std::array kPassOpt = {F::kEntities, F::kConfidence, F::kManualReview};
constexpr std::array kUsageReq = {F::kService, F::kOperation, F::kTokens, F::kCostUsd};
constexpr std::array kUsageOpt = {F::kProfileId};
constexpr std::array kGapReq = {F::kTopic, F::kStatus};
constexpr std::array kStoreOpt = {F::kTimezone, F::kGapConfidenceThreshold, F::kHumanCostPerHour,
                                  F::kMinutesPerConversation, F::kAiCostPerConversation, F::kCsiWeights};
constexpr std::span<const FieldId> kNone;

// Indexed by EventType.
const std::array<TypeFields, kEventTypeCount> kTypes = {{
    {kStartedReq, kStartedOpt},
    {kMessageReq, kMessageOpt},
    {kConversationOnly, kResolvedOpt},
    {kConversationOnly, kEscalatedOpt},
    {kConversationOnly, kNone},
    {kKnowledgeReq, kNone},
    {kConversationOnly, kCitationOpt},
    {kQualityReq, kNone},
    {kAnalysisReq, kNone},
    {kPassReq, kPassOpt},
    {kUsageReq, kUsageOpt},
    {kGapReq, kNone},
    {kNone, kStoreOpt},
}};

// allowed[type][field], computed once from kTypes.
struct AllowedTable {
  std::array<std::array<bool, kFieldCount>, kEventTypeCount> allowed{};
  AllowedTable() {
    for (size_t t = 0; t < kEventTypeCount; ++t) {
      for (FieldId f : kEnvelope) allowed[t][static_cast<size_t>(f)] = true;
      for (FieldId f : kTypes[t].required) allowed[t][static_cast<size_t>(f)] = true;
      for (FieldId f : kTypes[t].optional) allowed[t][static_cast<size_t>(f)] = true;
    }
  }
};

}  // namespace

const FieldSpec& SpecOf(FieldId id) { return kSpecs[static_cast<size_t>(id)]; }

// Open-addressing table over the field names: name lookup runs for every member of every incoming event, and
// this is several times cheaper than a node-based hash map.
class NameTable {
 public:
  NameTable() {
    slots_.fill(-1);
    for (size_t i = 0; i < kFieldCount; ++i) {
      size_t k = Hash(kSpecs[i].name) & kMask;
      while (slots_[k] >= 0) k = (k + 1) & kMask;
      slots_[k] = static_cast<int8_t>(i);
    }
  }

  std::optional<FieldId> Find(std::string_view name) const {
    for (size_t k = Hash(name) & kMask; slots_[k] >= 0; k = (k + 1) & kMask) {
      if (kSpecs[slots_[k]].name == name) return static_cast<FieldId>(slots_[k]);
    }
    return std::nullopt;
  }

 private:
  static constexpr size_t kMask = 255;
  static uint32_t Hash(std::string_view s) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
    return h;
  }
  std::array<int8_t, kMask + 1> slots_;
};

std::optional<FieldId> FieldFromName(std::string_view name) {
  static const NameTable kNames;
  return kNames.Find(name);
}

std::span<const FieldId> EnvelopeFields() { return kEnvelope; }
std::span<const FieldId> RequiredFields(EventType type) { return kTypes[static_cast<size_t>(type)].required; }
std::span<const FieldId> OptionalFields(EventType type) { return kTypes[static_cast<size_t>(type)].optional; }

bool IsAllowed(EventType type, FieldId id) {
  static const AllowedTable kAllowed;
  return kAllowed.allowed[static_cast<size_t>(type)][static_cast<size_t>(id)];
}

}  // namespace tally
