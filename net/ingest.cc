#include "net/ingest.h"

#include <chrono>

namespace tally::net {

// Shared between the batch and its append callback: how the appended events map back to batch indexes, and
// the rejections found while validating.
struct IngestBatch::Pending {
  std::vector<uint32_t> event_index;  // event_index[i] = batch index of events_[i]
  std::vector<RejectionOutcome> rejected;
  uint32_t next_index = 0;
};

IngestBatch::IngestBatch(ValidationContext ctx) : ctx_(std::move(ctx)), pending_(std::make_shared<Pending>()) {}
IngestBatch::~IngestBatch() = default;
IngestBatch::IngestBatch(IngestBatch&&) noexcept = default;
IngestBatch& IngestBatch::operator=(IngestBatch&&) noexcept = default;

size_t IngestBatch::size() const { return pending_->next_index; }

void IngestBatch::AddJson(std::string_view json) { AddResult(ValidateJsonEvent(json, ctx_), json); }

void IngestBatch::AddMalformed(std::string_view raw, std::string message) {
  Rejection rejection;
  rejection.code = Code::kMalformed;
  rejection.message = std::move(message);
  AddResult(std::move(rejection), raw);
}

void IngestBatch::Reserve(size_t events) {
  events_.Reserve(events);
  pending_->event_index.reserve(pending_->event_index.size() + events);
}

void IngestBatch::AddResult(ValidationResult result, std::string_view raw) {
  uint32_t index = pending_->next_index++;
  if (Event* event = std::get_if<Event>(&result)) {
    events_.Add(*event);
    pending_->event_index.push_back(index);
    return;
  }
  Rejection& rejection = std::get<Rejection>(result);
  QuarantineEntry entry;
  entry.store_id = rejection.quarantine_store;
  entry.received_at = ctx_.received_at;
  entry.code = rejection.code;
  entry.message = rejection.message;
  entry.raw = std::string(raw.substr(0, kMaxQuarantineRawBytes));
  rejects_.push_back(std::move(entry));
  pending_->rejected.push_back(
      RejectionOutcome{index, std::move(rejection.event_id), rejection.code, std::move(rejection.message)});
}

Ingest::Ingest(Storage& storage, MetricsRegistry& metrics)
    : storage_(storage),
      appended_(metrics.AddCounter("tally_events_appended_total", "Events appended to the log")),
      duplicates_(metrics.AddCounter("tally_events_duplicate_total",
                                     "Events not appended because (store_id, event_id) was already in the log")),
      rejected_(
          metrics.AddCounterFamily("tally_events_rejected_total", "Events rejected by validation, by code", {"code"})),
      batches_(metrics.AddCounter("tally_ingest_batches_total", "Batches answered (TCP batches and HTTP posts)")),
      append_failures_(metrics.AddCounter("tally_ingest_append_failures_total", "Batches whose append failed")),
      append_latency_(metrics.AddHistogram("tally_ingest_append_seconds",
                                           "Time from submitting a batch to its durable append",
                                           LatencyBucketsSeconds())) {
  metrics.AddGauge("tally_ingest_inflight_events", "Events submitted and not yet durable", {}, [this] {
    return std::vector<GaugeSample>{{{}, static_cast<double>(inflight_events())}};
  });
}

Status Ingest::Submit(IngestBatch& batch, std::function<void(BatchOutcome)> done) {
  size_t events = batch.events_.size();
  auto start = std::chrono::steady_clock::now();
  std::function<void(AppendResult)> on_append = [this, pending = batch.pending_, done = std::move(done), events,
                                                 start](AppendResult result) {
    BatchOutcome outcome;
    outcome.status = std::move(result.status);
    outcome.rejected = std::move(pending->rejected);
    if (outcome.status.ok()) {
      outcome.first_seq = result.first_seq;
      outcome.last_seq = result.last_seq;
      outcome.accepted = static_cast<uint32_t>(result.accepted);
      for (size_t i = 0; i < result.outcomes.size() && i < pending->event_index.size(); ++i) {
        if (result.outcomes[i].duplicate) {
          outcome.duplicates.push_back(DuplicateOutcome{pending->event_index[i], result.outcomes[i].seq});
        }
      }
    }
    append_latency_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    Record(outcome, events);
    done(std::move(outcome));
  };
  inflight_events_.fetch_add(events, std::memory_order_relaxed);
  Status status = storage_.TryAppendEncoded(std::move(batch.events_), std::move(batch.rejects_), std::move(on_append));
  if (!status.ok()) inflight_events_.fetch_sub(events, std::memory_order_relaxed);
  return status;
}

void Ingest::Record(const BatchOutcome& outcome, size_t events) {
  inflight_events_.fetch_sub(events, std::memory_order_relaxed);
  batches_.Inc();
  if (!outcome.status.ok()) {
    append_failures_.Inc();
    return;
  }
  appended_.Inc(outcome.accepted);
  duplicates_.Inc(outcome.duplicates.size());
  for (const RejectionOutcome& r : outcome.rejected) rejected_.With({std::string(CodeName(r.code))}).Inc();
}

TimeMs NowMs() { return SystemClock::Instance().NowMs(); }

}  // namespace tally::net
