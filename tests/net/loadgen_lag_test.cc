// loadgen's view-lag summary (tools/loadgen_http.h): lag in seconds is the age of the oldest event a view has
// not folded, to one poll interval, and time the log head stood still is not lag.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "tools/loadgen_http.h"

namespace tally::testing {
namespace {

using tools::StatusSample;
using tools::SummarizeLag;
using Clock = std::chrono::steady_clock;

// A sample `ms` milliseconds after t0.
StatusSample At(Clock::time_point t0, int ms, uint64_t head, uint64_t min_offset) {
  return StatusSample{t0 + std::chrono::milliseconds(ms), head, min_offset};
}

TEST(LoadgenLagTest, AnIdleHeadBeforeTheLoadIsNotLag) {
  const Clock::time_point t0 = Clock::now();
  std::vector<StatusSample> samples;
  for (int ms = 0; ms <= 2000; ms += 100) samples.push_back(At(t0, ms, 0, 0));  // loadgen still encoding
  samples.push_back(At(t0, 2100, 10000, 0));
  samples.push_back(At(t0, 2200, 20000, 10000));
  samples.push_back(At(t0, 2300, 30000, 30000));
  auto lag = SummarizeLag(samples, t0 + std::chrono::milliseconds(2300));
  EXPECT_EQ(lag.samples, samples.size());
  EXPECT_EQ(lag.max_lag_events, 10000u);
  // Each lagging sample's view had every event the sample before it had seen: one poll interval.
  EXPECT_NEAR(lag.max_lag_s, 0.1, 1e-9);
}

TEST(LoadgenLagTest, AStuckViewLagsSinceTheHeadLastStoodAtItsOffset) {
  const Clock::time_point t0 = Clock::now();
  std::vector<StatusSample> samples;
  for (int i = 0; i <= 20; ++i) {
    const uint64_t head = 1000u * static_cast<uint64_t>(i);
    samples.push_back(At(t0, 100 * i, head, std::min<uint64_t>(head, 5000)));  // the view stops at 5000
  }
  samples.push_back(At(t0, 2500, 20000, 20000));  // after the load: caught up
  auto lag = SummarizeLag(samples, t0 + std::chrono::milliseconds(2000));
  EXPECT_EQ(lag.max_lag_events, 15000u);
  EXPECT_NEAR(lag.max_lag_s, 1.5, 1e-9);  // 2.0 s, and the head was last at 5000 at 0.5 s
  EXPECT_NEAR(lag.p99_lag_s, 1.5, 1e-9);
  ASSERT_TRUE(lag.catch_up_s.has_value());
  EXPECT_NEAR(*lag.catch_up_s, 0.5, 1e-9);
}

TEST(LoadgenLagTest, ViewsThatNeverFallBehindHaveNoLag) {
  const Clock::time_point t0 = Clock::now();
  std::vector<StatusSample> samples;
  for (int i = 0; i <= 10; ++i) samples.push_back(At(t0, 100 * i, 500u * static_cast<uint64_t>(i), 500u * i));
  auto lag = SummarizeLag(samples, t0 + std::chrono::seconds(1));
  EXPECT_EQ(lag.max_lag_events, 0u);
  EXPECT_EQ(lag.max_lag_s, 0.0);
  EXPECT_FALSE(lag.catch_up_s.has_value());  // no sample after the load
}

}  // namespace
}  // namespace tally::testing
