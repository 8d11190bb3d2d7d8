// The Prometheus text rendering of the metrics registry.
#include "net/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace tally::net {
namespace {

TEST(Metrics, CountersAndFamiliesRender) {
  MetricsRegistry registry;
  Counter& appended = registry.AddCounter("tally_events_appended_total", "Events appended to the log");
  auto& rejects = registry.AddCounterFamily("tally_events_rejected_total", "Rejected events", {"code"});
  appended.Inc(5);
  rejects.With({"forbidden"}).Inc();
  rejects.With({"malformed"}).Inc(2);
  EXPECT_EQ(&registry.AddCounter("tally_events_appended_total", "again"), &appended);

  std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE tally_events_appended_total counter\ntally_events_appended_total 5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tally_events_rejected_total{code=\"forbidden\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tally_events_rejected_total{code=\"malformed\"} 2\n"), std::string::npos) << text;
}

TEST(Metrics, HistogramIsCumulative) {
  MetricsRegistry registry;
  auto& h = registry.AddHistogramFamily("lat_seconds", "Latency", {"route"}, {0.1, 1});
  h.With({"a"}).Observe(0.05);
  h.With({"a"}).Observe(0.5);
  h.With({"a"}).Observe(5);
  std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"a\",le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"a\",le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"a\",le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_sum{route=\"a\"} 5.55\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count{route=\"a\"} 3\n"), std::string::npos) << text;
}

TEST(Metrics, GaugeCallbackAndConcurrentIncrements) {
  MetricsRegistry registry;
  registry.AddGauge("view_offset", "Offset", {"view"}, [] {
    return std::vector<GaugeSample>{{{"daily_metrics"}, 42}};
  });
  Counter& c = registry.AddCounter("c_total", "c");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { for (int i = 0; i < 10000; ++i) c.Inc(); });
  for (auto& t : threads) t.join();
  std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("view_offset{view=\"daily_metrics\"} 42\n"), std::string::npos) << text;
  EXPECT_EQ(c.value(), 40000u);
}

}  // namespace
}  // namespace tally::net
