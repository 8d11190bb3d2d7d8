// Ingest: the one path from "a producer sent these events" to "they are durable, answer the producer", shared
// by TCP (Cap'n Proto batches) and HTTP (POST /v1/events). For every event of a batch, in order:
//   validate (core validator: §1.3 order, the caller's can_write, skew correction with sent_at)
//     -> rejected: quarantined (the store's quarantine when the store is valid and writable, else the global
//        one) and reported with index, event_id, code, message;
//     -> valid: appended through Storage's group commit, which also dedups (duplicates are reported with the
//        original's seq).
// The outcome of a batch is handed to a callback once the whole batch is durable (CONTRACT §2.1 point 3).
//
// Threading: Ingest is thread-safe. An IngestBatch is built by one thread. Callbacks run on the storage writer
// thread and must not block: post the answer back to the connection's own executor.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/validator.h"
#include "net/metrics.h"
#include "storage/storage.h"

namespace tally::net {

// Quarantined raw bytes are capped (CONTRACT §1.3).
constexpr size_t kMaxQuarantineRawBytes = 64 * 1024;

struct DuplicateOutcome {
  uint32_t index = 0;  // 0-based position in the batch
  uint64_t seq = 0;    // the original's sequence
};

struct RejectionOutcome {
  uint32_t index = 0;
  std::string event_id;  // as sent, when readable; empty otherwise
  Code code = Code::kMalformed;
  std::string message;
};

struct BatchOutcome {
  // Not ok: the append failed; nothing of the batch's valid events was appended (rejects may be lost too).
  Status status;
  uint64_t first_seq = 0;  // contiguous first_seq..last_seq; both 0 when nothing was accepted
  uint64_t last_seq = 0;
  uint32_t accepted = 0;
  std::vector<DuplicateOutcome> duplicates;  // in index order
  std::vector<RejectionOutcome> rejected;    // in index order
};

// One batch being assembled. Add events in batch order; each Add validates at once.
class IngestBatch {
 public:
  // ctx: received_at / now_ms / sent_at / can_write for every event of the batch.
  explicit IngestBatch(ValidationContext ctx);
  ~IngestBatch();
  IngestBatch(IngestBatch&&) noexcept;
  IngestBatch& operator=(IngestBatch&&) noexcept;

  // One JSON event (an NDJSON line or an array element's bytes).
  void AddJson(std::string_view json);
  // An input that could not even be split into an event (e.g. an unparseable JSON array): rejected
  // `malformed` with this message and quarantined globally with these raw bytes.
  void AddMalformed(std::string_view raw, std::string message);
  // A validation result computed by the caller (e.g. from a Cap'n Proto event); raw is what is quarantined
  // when it is a rejection.
  void AddResult(ValidationResult result, std::string_view raw);
  // Room for `events` more results, when the caller knows the count (a TCP batch, already checked against the
  // batch limit).
  void Reserve(size_t events);

  size_t size() const;
  const ValidationContext& context() const { return ctx_; }

 private:
  friend class Ingest;
  struct Pending;

  ValidationContext ctx_;
  EncodedEvents events_;  // the valid events, in order, encoded as validated
  std::vector<QuarantineEntry> rejects_;
  std::shared_ptr<Pending> pending_;  // index mapping + rejections, shared with the append callback
};

class Ingest {
 public:
  // storage and metrics must outlive the Ingest and every callback it issues.
  Ingest(Storage& storage, MetricsRegistry& metrics);

  // Submits a batch. On ok, `done` runs exactly once, on the storage writer thread (or, after storage has
  // closed, on the calling thread), after the batch is durable. kUnavailable: the storage queue is full (or
  // storage is closed); the batch is left intact and `done` is never called — retry later or answer 503.
  // Never blocks.
  Status Submit(IngestBatch& batch, std::function<void(BatchOutcome)> done);

  // Events submitted whose callback has not run yet (a gauge for /metrics and a load signal).
  uint64_t inflight_events() const { return inflight_events_.load(std::memory_order_relaxed); }

 private:
  void Record(const BatchOutcome& outcome, size_t events);

  Storage& storage_;
  Counter& appended_;
  Counter& duplicates_;
  Family<Counter>& rejected_;
  Counter& batches_;
  Counter& append_failures_;
  Histogram& append_latency_;
  std::atomic<uint64_t> inflight_events_{0};
};

// The receive time used for a batch: the server's clock, in ms.
TimeMs NowMs();

}  // namespace tally::net
