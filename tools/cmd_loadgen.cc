// `tally loadgen`: synthetic, realistic load over the Cap'n Proto TCP protocol. Several connections pipeline
// batches of generated events (tools/loadgen_workload.h: conversations with messages, outcomes, knowledge
// look-ups and scores, file passes, usage, and a share of deliberate re-sends that must come back as
// duplicates), optionally at a fixed rate, and report throughput and ack-latency percentiles; with --http the
// view lag is sampled from GET /v1/admin/status while loading.
//
// Output (stdout; the words before the numbers are stable, scripts parse them):
//   loadgen events=N resent=N batches=N connections=N seconds=S
//   accepted N duplicates N rejected N
//   throughput events_per_s=X accepted_per_s=X client_cpu_s=X
//   ack_latency_ms p50=X p99=X p999=X max=X
//   view_lag max_events=N max_s=X p99_s=X samples=N caught_up_after_s=X|never
// Exit status: 0 when every batch was acknowledged; 1 when a connection failed or batches went unanswered;
// 2 for bad arguments.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "tools/command.h"
#include "tools/loadgen_http.h"
#include "tools/loadgen_run.h"

namespace tally::tools {
namespace {

struct LoadgenFlags {
  LoadOptions load;
  std::string http;
  int lag_interval_ms = 100;
  int catch_up_timeout_s = 60;
};

void PrintReport(const LoadOptions& o, const LoadReport& r) {
  std::printf("loadgen events=%llu resent=%llu batches=%llu connections=%zu seconds=%.3f\n",
              static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.resent),
              static_cast<unsigned long long>(r.batches_acked), o.connections, r.seconds);
  std::printf("accepted %llu duplicates %llu rejected %llu\n", static_cast<unsigned long long>(r.accepted),
              static_cast<unsigned long long>(r.duplicates), static_cast<unsigned long long>(r.rejected));
  double s = r.seconds > 0 ? r.seconds : 1e-9;
  std::printf("throughput events_per_s=%.0f accepted_per_s=%.0f client_cpu_s=%.2f\n",
              static_cast<double>(r.accepted + r.duplicates + r.rejected) / s, static_cast<double>(r.accepted) / s,
              r.client_cpu_s);
  std::printf("ack_latency_ms p50=%.3f p99=%.3f p999=%.3f max=%.3f\n", r.LatencyPercentile(0.5),
              r.LatencyPercentile(0.99), r.LatencyPercentile(0.999), r.LatencyPercentile(1.0));
}

void PrintLag(const LagSummary& lag, const LagSampler& sampler) {
  std::printf("view_lag max_events=%llu max_s=%.3f p99_s=%.3f samples=%zu caught_up_after_s=",
              static_cast<unsigned long long>(lag.max_lag_events), lag.max_lag_s, lag.p99_lag_s, lag.samples);
  if (lag.catch_up_s) {
    std::printf("%.3f\n", *lag.catch_up_s);
  } else {
    std::printf("never\n");
  }
  if (sampler.failures() > 0) {
    std::fprintf(stderr, "warning: %zu status polls failed, last: %s\n", sampler.failures(),
                 sampler.last_error().c_str());
  }
}

int RunLoadgen(LoadgenFlags& flags) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("tally-loadgen"));
  signal(SIGPIPE, SIG_IGN);
  LoadOptions& o = flags.load;
  if (o.connections == 0 || o.batch == 0 || o.inflight == 0 || o.events == 0 || o.stores == 0 || o.rate < 0 ||
      o.duplicate_percent < 0 || o.duplicate_percent > 50 || o.span_days < 1) {
    std::fprintf(stderr, "error: --connections, --batch, --inflight, --events, --stores and --span-days must be at "
                         "least 1, --rate at least 0, --duplicates between 0 and 50\n");
    return 2;
  }
  o.progress = isatty(STDERR_FILENO) != 0;
  std::unique_ptr<LagSampler> sampler;
  if (!flags.http.empty()) {
    sampler = std::make_unique<LagSampler>(flags.http, o.token, std::chrono::milliseconds(flags.lag_interval_ms));
    sampler->Start();
  }
  auto report = RunLoad(o);
  if (!report.ok()) {
    std::fprintf(stderr, "error: %s\n", report.status().ToString().c_str());
    return 1;
  }
  if (sampler) sampler->WaitCaughtUp(std::chrono::seconds(flags.catch_up_timeout_s));
  PrintReport(o, *report);
  if (sampler) PrintLag(sampler->Summarize(report->end), *sampler);
  for (const std::string& e : report->errors) std::fprintf(stderr, "%s\n", e.c_str());
  std::fflush(stdout);
  bool complete = report->accepted + report->duplicates + report->rejected == report->sent && report->sent == o.events;
  return complete ? 0 : 1;
}

const CommandRegistrar kRegistrar([](CLI::App& root) {
  auto flags = std::make_shared<LoadgenFlags>();
  LoadOptions& o = flags->load;
  CLI::App* sub = root.add_subcommand(
      "loadgen", "Generate realistic load over TCP; report events/s, ack latency and (with --http) view lag");
  sub->add_option("--to", o.to, "Server TCP address HOST:PORT")->required();
  sub->add_option("--token", o.token, "Auth token (producer or admin; admin for --http status polls)");
  sub->add_option("--connections", o.connections, "Producer connections")->capture_default_str();
  sub->add_option("--events", o.events, "Events to send, over all connections")->capture_default_str();
  sub->add_option("--stores", o.stores, "Stores (tenants) the events are spread over")->capture_default_str();
  sub->add_option("--rate", o.rate, "Events/s over all connections; 0 = as fast as acks allow")
      ->capture_default_str();
  sub->add_option("--duplicates", o.duplicate_percent, "Percent of events that re-send an earlier event_id")
      ->capture_default_str();
  sub->add_option("--batch", o.batch, "Events per batch")->capture_default_str();
  sub->add_option("--inflight", o.inflight, "Unacknowledged batches per connection")->capture_default_str();
  sub->add_option("--seed", o.seed, "Seed: the same seed sends the same events (event ids include it)")
      ->capture_default_str();
  sub->add_option("--span-days", o.span_days, "occurred_at is spread over this many days up to now")
      ->capture_default_str();
  sub->add_flag("--pregenerate", o.pregenerate, "Encode every batch before the clock starts");
  sub->add_option("--http", flags->http, "HTTP address HOST:PORT: sample view lag from GET /v1/admin/status");
  sub->add_option("--lag-interval-ms", flags->lag_interval_ms, "Status poll interval")->capture_default_str();
  sub->add_option("--catch-up-timeout", flags->catch_up_timeout_s, "Seconds to wait for views after the load")
      ->capture_default_str();
  return Command{sub, [flags] { return RunLoadgen(*flags); }};
});

}  // namespace
}  // namespace tally::tools
