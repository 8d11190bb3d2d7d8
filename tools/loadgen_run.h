// The load run of `tally loadgen`: N producer connections over the Cap'n Proto TCP protocol, each with a sender
// thread keeping up to `inflight` batches in flight and a receiver thread consuming the Acks in order.
//
// Ack latency is per batch: from the moment the batch was due (its scheduled time under --rate, else the
// moment it was written) to the moment its Ack arrived. Measuring from the due time keeps a slow server from
// hiding its queueing delay by slowing the sender down (coordinated omission).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace tally::tools {

struct LoadOptions {
  std::string to;                 // HOST:PORT of the TCP endpoint
  std::string token;
  size_t connections = 4;
  uint64_t events = 100'000;      // over all connections
  size_t stores = 100;
  double rate = 0;                // events/s over all connections; 0: as fast as acks allow
  double duplicate_percent = 5;   // share of sent events that re-send an earlier event_id
  size_t batch = 1000;            // events per Batch
  size_t inflight = 8;            // unacknowledged batches per connection
  uint64_t seed = 1;
  int span_days = 30;             // occurred_at spread over the last span_days days
  bool pregenerate = false;       // encode every batch before the clock starts (client CPU out of the timing)
  bool progress = false;          // progress line on stderr
};

struct LoadReport {
  uint64_t sent = 0;        // events written to the sockets
  uint64_t resent = 0;      // of which deliberate re-sends (expected duplicates)
  uint64_t accepted = 0;    // from the Acks
  uint64_t duplicates = 0;
  uint64_t rejected = 0;
  uint64_t batches_acked = 0;
  double seconds = 0;       // first send to last ack
  double client_cpu_s = 0;  // CPU this process used during the timed part
  std::vector<double> latencies_ms;  // one per acknowledged batch, sorted
  std::vector<std::string> errors;   // connection failures and the first few rejections
  std::chrono::steady_clock::time_point end;  // when the last ack arrived

  // Nearest-rank percentile of latencies_ms (0 when there is none); p in (0, 1].
  double LatencyPercentile(double p) const;
};

// Runs the load; the report is filled as far as it got even when a connection failed (errors says so).
// kIoError / kUnauthorized / ... when no connection could be set up at all.
Result<LoadReport> RunLoad(const LoadOptions& options);

}  // namespace tally::tools
