#include "net/metrics.h"

#include <cassert>
#include <cmath>
#include <variant>

#include "core/json_writer.h"

namespace tally::net {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (value > 0 && std::isfinite(value)) {
    sum_micros_.fetch_add(static_cast<uint64_t>(std::llround(value * 1e6)), std::memory_order_relaxed);
  }
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) counts[i] = buckets_[i].load(std::memory_order_relaxed);
  return counts;
}

double Histogram::sum() const { return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6; }

std::vector<double> LatencyBucketsSeconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

struct MetricsRegistry::Entry {
  std::string name;
  std::string help;
  std::variant<std::unique_ptr<Counter>, std::unique_ptr<Family<Counter>>, std::unique_ptr<Histogram>,
               std::unique_ptr<Family<Histogram>>, std::function<std::vector<GaugeSample>()>>
      metric;
  std::vector<std::string> gauge_labels;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Entry* MetricsRegistry::Find(std::string_view name) {
  for (auto& entry : entries_) {
    if (entry->name == name) return entry.get();
  }
  return nullptr;
}

MetricsRegistry::Entry& MetricsRegistry::Add(std::string_view name, std::string_view help) {
  entries_.push_back(std::make_unique<Entry>());
  entries_.back()->name = std::string(name);
  entries_.back()->help = std::string(help);
  return *entries_.back();
}

Counter& MetricsRegistry::AddCounter(std::string_view name, std::string_view help) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* e = Find(name)) return *std::get<std::unique_ptr<Counter>>(e->metric);
  Entry& e = Add(name, help);
  e.metric = std::make_unique<Counter>();
  return *std::get<std::unique_ptr<Counter>>(e.metric);
}

Family<Counter>& MetricsRegistry::AddCounterFamily(std::string_view name, std::string_view help,
                                                   std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* e = Find(name)) return *std::get<std::unique_ptr<Family<Counter>>>(e->metric);
  Entry& e = Add(name, help);
  e.metric = std::make_unique<Family<Counter>>(std::move(label_names), [] { return std::make_unique<Counter>(); });
  return *std::get<std::unique_ptr<Family<Counter>>>(e.metric);
}

Histogram& MetricsRegistry::AddHistogram(std::string_view name, std::string_view help, std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* e = Find(name)) return *std::get<std::unique_ptr<Histogram>>(e->metric);
  Entry& e = Add(name, help);
  e.metric = std::make_unique<Histogram>(std::move(bounds));
  return *std::get<std::unique_ptr<Histogram>>(e.metric);
}

Family<Histogram>& MetricsRegistry::AddHistogramFamily(std::string_view name, std::string_view help,
                                                       std::vector<std::string> label_names,
                                                       std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* e = Find(name)) return *std::get<std::unique_ptr<Family<Histogram>>>(e->metric);
  Entry& e = Add(name, help);
  e.metric = std::make_unique<Family<Histogram>>(
      std::move(label_names), [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
  return *std::get<std::unique_ptr<Family<Histogram>>>(e.metric);
}

void MetricsRegistry::AddGauge(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                               std::function<std::vector<GaugeSample>()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Find(name) != nullptr) return;
  Entry& e = Add(name, help);
  e.metric = std::move(fn);
  e.gauge_labels = std::move(label_names);
}

namespace {

// {a="x",b="y"} plus an optional extra label (the histogram's le); empty when there are no labels.
std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  std::string out;
  auto add = [&out](std::string_view name, std::string_view value) {
    out += out.empty() ? "{" : ",";
    out += name;
    out += '=';
    AppendJsonString(&out, value);  // Prometheus label escaping (\\, \", \n) is a subset of JSON's
  };
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) add(names[i], values[i]);
  if (!extra_name.empty()) add(extra_name, extra_value);
  if (!out.empty()) out += '}';
  return out;
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return FormatDouble(v);
}

void RenderHistogram(std::string* out, const std::string& name, const std::vector<std::string>& names,
                     const std::vector<std::string>& values, const Histogram& h) {
  std::vector<uint64_t> counts = h.BucketCounts();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    std::string le = i < h.bounds().size() ? Number(h.bounds()[i]) : "+Inf";
    *out += name + "_bucket" + LabelText(names, values, "le", le) + " " + std::to_string(cumulative) + "\n";
  }
  *out += name + "_sum" + LabelText(names, values) + " " + Number(h.sum()) + "\n";
  *out += name + "_count" + LabelText(names, values) + " " + std::to_string(cumulative) + "\n";
}

}  // namespace

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& entry : entries_) {
    const std::string& name = entry->name;
    out += "# HELP " + name + " " + entry->help + "\n";
    if (auto* c = std::get_if<std::unique_ptr<Counter>>(&entry->metric)) {
      out += "# TYPE " + name + " counter\n" + name + " " + std::to_string((*c)->value()) + "\n";
    } else if (auto* cf = std::get_if<std::unique_ptr<Family<Counter>>>(&entry->metric)) {
      out += "# TYPE " + name + " counter\n";
      (*cf)->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
        out += name + LabelText((*cf)->label_names(), values) + " " + std::to_string(c.value()) + "\n";
      });
    } else if (auto* h = std::get_if<std::unique_ptr<Histogram>>(&entry->metric)) {
      out += "# TYPE " + name + " histogram\n";
      RenderHistogram(&out, name, {}, {}, **h);
    } else if (auto* hf = std::get_if<std::unique_ptr<Family<Histogram>>>(&entry->metric)) {
      out += "# TYPE " + name + " histogram\n";
      (*hf)->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
        RenderHistogram(&out, name, (*hf)->label_names(), values, h);
      });
    } else if (auto* g = std::get_if<std::function<std::vector<GaugeSample>()>>(&entry->metric)) {
      out += "# TYPE " + name + " gauge\n";
      for (const GaugeSample& s : (*g)()) {
        out += name + LabelText(entry->gauge_labels, s.label_values) + " " + Number(s.value) + "\n";
      }
    }
  }
  return out;
}

}  // namespace tally::net
