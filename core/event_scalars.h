// Private to core/: the numeric and boolean fields that the stored log format (wire::StoredEvent) and the wire
// format (wire::Event) carry identically — the same names, each an optional-value union — written once for
// both builders. Fields whose representation differs (enums, dates) stay with each encoder.
#pragma once

#include "core/event.h"
#include "core/tally.capnp.h"

namespace tally {

template <typename Builder>
void PutNumericScalars(const Event& e, Builder b) {
  if (e.confidence) b.getConfidence().setValue(*e.confidence);
  if (e.overall) b.getOverall().setValue(*e.overall);
  if (e.helpfulness) b.getHelpfulness().setValue(*e.helpfulness);
  if (e.accuracy) b.getAccuracy().setValue(*e.accuracy);
  if (e.politeness) b.getPoliteness().setValue(*e.politeness);
  if (e.sentiment_score) b.getSentimentScore().setValue(*e.sentiment_score);
  if (e.sentiment_shift) b.getSentimentShift().setValue(*e.sentiment_shift);
  if (e.resolution_achieved) b.getResolutionAchieved().setValue(*e.resolution_achieved);
  if (e.fcr_score) b.getFcrScore().setValue(*e.fcr_score);
  if (e.ces) b.getCes().setValue(*e.ces);
  if (e.pass) b.getPass().setValue(*e.pass);
  if (e.success) b.getSuccess().setValue(*e.success);
  if (e.tokens) b.getTokens().setValue(*e.tokens);
  if (e.cost_usd) b.getCostUsd().setValue(*e.cost_usd);
  if (e.processing_time_ms) b.getProcessingTimeMs().setValue(*e.processing_time_ms);
  if (e.entities) b.getEntities().setValue(*e.entities);
  if (e.manual_review) b.getManualReview().setValue(*e.manual_review);
  if (e.gap_confidence_threshold) b.getGapConfidenceThreshold().setValue(*e.gap_confidence_threshold);
  if (e.human_cost_per_hour) b.getHumanCostPerHour().setValue(*e.human_cost_per_hour);
  if (e.minutes_per_conversation) b.getMinutesPerConversation().setValue(*e.minutes_per_conversation);
  if (e.ai_cost_per_conversation) b.getAiCostPerConversation().setValue(*e.ai_cost_per_conversation);
  if (e.csi_weights) {
    wire::CsiWeights::Builder w = b.getCsiWeights().initValue();
    w.setEffectiveness(e.csi_weights->effectiveness);
    w.setEffort(e.csi_weights->effort);
    w.setEfficiency(e.csi_weights->efficiency);
    w.setEmpathy(e.csi_weights->empathy);
  }
}

}  // namespace tally
