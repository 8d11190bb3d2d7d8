#include "core/event.h"

#include <array>
#include <cmath>

namespace tally {
namespace {

constexpr std::array<std::string_view, kEventTypeCount> kTypeNames = {
    "conversation_started",   "message_sent",      "conversation_resolved", "conversation_escalated",
    "conversation_abandoned", "knowledge_retrieved", "citation_clicked",    "quality_scored",
    "analysis_scored",        "pass_completed",    "usage_recorded",        "content_gap_status_changed",
    "store_configured",
};
constexpr std::array<std::string_view, 3> kSenderNames = {"customer", "agent", "ai"};
constexpr std::array<std::string_view, 2> kResolvedByNames = {"agent", "ai"};
constexpr std::array<std::string_view, 3> kGapStatusNames = {"identified", "in_progress", "resolved"};

template <typename Enum, size_t N>
std::optional<Enum> FromName(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view EventTypeName(EventType type) { return kTypeNames[static_cast<size_t>(type)]; }
std::optional<EventType> EventTypeFromName(std::string_view name) { return FromName<EventType>(kTypeNames, name); }
std::string_view SenderName(Sender sender) { return kSenderNames[static_cast<size_t>(sender)]; }
std::optional<Sender> SenderFromName(std::string_view name) { return FromName<Sender>(kSenderNames, name); }
std::string_view ResolvedByName(ResolvedBy by) { return kResolvedByNames[static_cast<size_t>(by)]; }
std::optional<ResolvedBy> ResolvedByFromName(std::string_view name) {
  return FromName<ResolvedBy>(kResolvedByNames, name);
}
std::string_view GapStatusName(GapStatus status) { return kGapStatusNames[static_cast<size_t>(status)]; }
std::optional<GapStatus> GapStatusFromName(std::string_view name) {
  return FromName<GapStatus>(kGapStatusNames, name);
}

int64_t ToMicros(double usd) { return std::llround(usd * 1e6); }
double FromMicros(int64_t micros) { return static_cast<double>(micros) / 1e6; }

}  // namespace tally
