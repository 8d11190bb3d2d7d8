// A small thread-safe metrics registry rendered as Prometheus text (GET /metrics). Counters and histograms are
// lock-free to update (atomics); labelled families take a mutex only to find or create a child, so hot paths
// should look a child up once and keep the reference. Metrics live as long as the registry; references handed
// out stay valid until then.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally::net {

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Cumulative histogram with fixed upper bounds (a +Inf bucket is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (non-cumulative) counts, bounds().size() + 1 entries; the last is the +Inf overflow.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};  // sum of observations x 1e6, so it can be an atomic integer
};

// Latency buckets in seconds, 100 µs .. 10 s.
std::vector<double> LatencyBucketsSeconds();

// A set of metrics of one kind distinguished by label values, e.g. rejects{code="forbidden"}.
template <typename T>
class Family {
 public:
  using Factory = std::function<std::unique_ptr<T>()>;
  Family(std::vector<std::string> label_names, Factory factory)
      : label_names_(std::move(label_names)), factory_(std::move(factory)) {}

  // The child for these label values (one per label name), created on first use.
  T& With(const std::vector<std::string>& label_values) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = children_[label_values];
    if (!slot) slot = factory_();
    return *slot;
  }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls fn(label_values, child) for every child, in label order.
  void ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [labels, child] : children_) fn(labels, *child);
  }

 private:
  std::vector<std::string> label_names_;
  Factory factory_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

// One sample of a gauge computed at render time.
struct GaugeSample {
  std::vector<std::string> label_values;
  double value = 0;
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registering the same name twice returns the first registration (kinds must match).
  Counter& AddCounter(std::string_view name, std::string_view help);
  Family<Counter>& AddCounterFamily(std::string_view name, std::string_view help,
                                    std::vector<std::string> label_names);
  Histogram& AddHistogram(std::string_view name, std::string_view help, std::vector<double> bounds);
  Family<Histogram>& AddHistogramFamily(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names, std::vector<double> bounds);
  // A gauge whose samples are computed by fn at render time (view offsets, RocksDB sizes, ...). fn runs on the
  // thread that renders and must be thread-safe.
  void AddGauge(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                std::function<std::vector<GaugeSample>()> fn);

  // Prometheus text exposition format (version 0.0.4), metrics in registration order.
  std::string RenderPrometheus() const;

 private:
  struct Entry;
  Entry* Find(std::string_view name);
  Entry& Add(std::string_view name, std::string_view help);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace tally::net
