// The decoded, validated event (CONTRACT §1). One flat struct for every type: fields a type does not carry stay
// empty. Produced only by the validator (core/validator.h) and by decoding the log; everything downstream may
// assume the §1.2 rules hold (required fields present, values in range, occurred_at_ms in UTC ms).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace tally {

// Ordinals are stored in the log: only ever append.
enum class EventType : uint8_t {
  kConversationStarted = 0,
  kMessageSent = 1,
  kConversationResolved = 2,
  kConversationEscalated = 3,
  kConversationAbandoned = 4,
  kKnowledgeRetrieved = 5,
  kCitationClicked = 6,
  kQualityScored = 7,
  kAnalysisScored = 8,
  kPassCompleted = 9,
  kUsageRecorded = 10,
  kContentGapStatusChanged = 11,
  kStoreConfigured = 12,
};
constexpr int kEventTypeCount = 13;

enum class Sender : uint8_t { kCustomer = 0, kAgent = 1, kAi = 2 };
enum class ResolvedBy : uint8_t { kAgent = 0, kAi = 1 };
enum class GapStatus : uint8_t { kIdentified = 0, kInProgress = 1, kResolved = 2 };

std::string_view EventTypeName(EventType type);  // "conversation_started", ...
std::optional<EventType> EventTypeFromName(std::string_view name);
std::string_view SenderName(Sender sender);
std::optional<Sender> SenderFromName(std::string_view name);
std::string_view ResolvedByName(ResolvedBy by);
std::optional<ResolvedBy> ResolvedByFromName(std::string_view name);
std::string_view GapStatusName(GapStatus status);
std::optional<GapStatus> GapStatusFromName(std::string_view name);

struct CsiWeights {
  double effectiveness = 0.25;
  double effort = 0.25;
  double efficiency = 0.25;
  double empathy = 0.25;
  bool operator==(const CsiWeights&) const = default;
};

struct Event {
  // Envelope.
  std::string event_id;
  EventType type = EventType::kConversationStarted;
  std::string store_id;
  TimeMs occurred_at_ms = 0;               // UTC, truncated to ms, after sentAt skew correction
  std::optional<std::string> properties;  // the JSON object's exact bytes

  // Conversation events.
  std::optional<std::string> conversation_id;
  std::optional<std::string> customer_id;
  std::optional<std::string> channel;
  std::optional<std::string> customer_name;
  std::optional<Sender> sender;
  std::optional<std::string> text;
  std::optional<std::string> agent_id;
  std::optional<ResolvedBy> resolved_by;  // conversation_resolved; absent means agent (§1.2 default)
  std::optional<std::string> reason;
  std::optional<std::string> query;
  std::optional<std::string> topic;
  std::optional<double> confidence;  // knowledge_retrieved and pass_completed
  std::optional<std::string> url;

  // quality_scored
  std::optional<double> overall;
  std::optional<double> helpfulness;
  std::optional<double> accuracy;
  std::optional<double> politeness;

  // analysis_scored
  std::optional<DayNum> analysis_date;
  std::optional<double> sentiment_score;
  std::optional<double> sentiment_shift;
  std::optional<double> resolution_achieved;
  std::optional<double> fcr_score;
  std::optional<double> ces;

  // pass_completed / usage_recorded
  std::optional<std::string> shell_file_id;
  std::optional<std::string> profile_id;
  std::optional<int32_t> pass;  // 1..3
  std::optional<bool> success;
  std::optional<std::string> model;
  std::optional<int64_t> tokens;
  std::optional<double> cost_usd;
  std::optional<int64_t> processing_time_ms;
  std::optional<int64_t> entities;
  std::optional<bool> manual_review;
  std::optional<std::string> service;
  std::optional<std::string> operation;

  // content_gap_status_changed
  std::optional<GapStatus> status;

  // store_configured
  std::optional<std::string> timezone;
  std::optional<double> gap_confidence_threshold;
  std::optional<double> human_cost_per_hour;
  std::optional<double> minutes_per_conversation;
  std::optional<double> ai_cost_per_conversation;
  std::optional<CsiWeights> csi_weights;

  bool operator==(const Event&) const = default;
};

// Money is summed exactly as integer micro-dollars (CONTRACT §0).
int64_t ToMicros(double usd);
double FromMicros(int64_t micros);

}  // namespace tally
