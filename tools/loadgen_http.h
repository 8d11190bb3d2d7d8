// View-lag sampling for `tally loadgen --http`: polls GET /v1/admin/status while the load runs and turns the
// samples into lag in events and in seconds.
//
// Lag in seconds is measured, not estimated from a rate: a sample's slowest view offset is compared with the
// log heads seen in earlier samples, and its lag is how long ago the head was last seen at or below that
// offset — the view has held everything since then and has missed events appended after it. Time the head
// stood still (before the load started, while loadgen encodes its batches) is not lag. The resolution is the
// poll interval, rounded up: the missed events arrived at most one interval after that sample.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace tally::tools {

// One blocking HTTP/1.1 GET on a fresh connection (Connection: close). The body of a 200 answer; kIoError when
// the connection fails or times out, kUnavailable for any other status (the message carries it).
Result<std::string> HttpGet(const std::string& address, const std::string& target, const std::string& token,
                            std::chrono::milliseconds timeout);

// From a /v1/admin/status body: the log head and the smallest view offset. kMalformed when the body does not
// have that shape.
struct StatusSample {
  std::chrono::steady_clock::time_point at;
  uint64_t log_head = 0;
  uint64_t min_offset = 0;
};
Result<StatusSample> ParseAdminStatus(std::string_view body);

struct LagSummary {
  size_t samples = 0;
  uint64_t max_lag_events = 0;
  double max_lag_s = 0;
  double p99_lag_s = 0;
  // Seconds from `load_end` until the first sample with every view at the head; nullopt if never seen.
  std::optional<double> catch_up_s;
};

// The summary of samples in poll order (heads never decrease); samples after `load_end` only give catch_up_s.
LagSummary SummarizeLag(const std::vector<StatusSample>& samples, std::chrono::steady_clock::time_point load_end);

class LagSampler {
 public:
  LagSampler(std::string address, std::string token, std::chrono::milliseconds interval);
  ~LagSampler();

  // Polls on a background thread until Stop. A failed poll is counted and skipped.
  void Start();
  // After the load: keeps polling until every view reaches the head or `timeout` passes, then stops.
  void WaitCaughtUp(std::chrono::milliseconds timeout);
  void Stop();

  LagSummary Summarize(std::chrono::steady_clock::time_point load_end) const;
  size_t failures() const { return failures_.load(); }
  std::string last_error() const;

 private:
  bool PollOnce();

  std::string address_;
  std::string token_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> failures_{0};
  mutable std::mutex mu_;
  std::vector<StatusSample> samples_;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace tally::tools
