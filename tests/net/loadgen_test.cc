// `tally loadgen` smoke test against a real `tally serve`: a short seeded run is fully acknowledged, its
// re-sends come back as duplicates, the log head equals what was accepted, the views catch up, and the same
// seed again is all duplicates.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/testing/http_client.h"
#include "tests/testing/ingest_helpers.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

struct LoadgenOutput {
  uint64_t events = 0, resent = 0, batches = 0;
  uint64_t accepted = 0, duplicates = 0, rejected = 0;
  double events_per_s = 0, p50 = 0, p99 = 0, p999 = 0;
  std::string caught_up;  // seconds, or "never"
};

bool ParseLoadgen(const std::string& out, LoadgenOutput* r) {
  auto line = [&](const char* prefix) {
    size_t at = out.find(prefix);
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  unsigned long long events = 0, resent = 0, batches = 0;
  if (std::sscanf(line("loadgen events=").c_str(), "loadgen events=%llu resent=%llu batches=%llu", &events, &resent,
                  &batches) != 3) {
    return false;
  }
  r->events = events;
  r->resent = resent;
  r->batches = batches;
  if (!ParsePushSummary(out, &r->accepted, &r->duplicates, &r->rejected)) return false;
  if (std::sscanf(line("throughput ").c_str(), "throughput events_per_s=%lf", &r->events_per_s) != 1) return false;
  if (std::sscanf(line("ack_latency_ms ").c_str(), "ack_latency_ms p50=%lf p99=%lf p999=%lf", &r->p50, &r->p99,
                  &r->p999) != 3) {
    return false;
  }
  std::string lag = line("view_lag ");
  size_t at = lag.find("caught_up_after_s=");
  if (at != std::string::npos) r->caught_up = lag.substr(at + 18);
  return true;
}

TEST(LoadgenTest, ShortRunIsAcknowledgedAndTheLogHeadMatchesAcceptedEvents) {
  TempDir dir;
  auto server = TallyServer::Start(dir.Sub("data"));
  ASSERT_TRUE(server);
  std::vector<std::string> args{"loadgen",      "--to",    server->tcp_address(), "--http", server->http_address(),
                                "--events",     "2000",    "--connections",       "3",      "--batch",
                                "100",          "--stores", "20",                 "--duplicates", "10",
                                "--lag-interval-ms", "20"};
  RunResult run = RunTally(args);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  LoadgenOutput first;
  ASSERT_TRUE(ParseLoadgen(run.out, &first)) << run.out;
  EXPECT_EQ(first.events, 2000u);
  EXPECT_GE(first.batches, 20u);  // 3 connections of 667/667/666 events in batches of 100
  EXPECT_EQ(first.rejected, 0u) << run.err;
  // Every deliberate re-send, and nothing else, is a duplicate; the rest is appended.
  EXPECT_GT(first.resent, 0u);
  EXPECT_EQ(first.duplicates, first.resent);
  EXPECT_EQ(first.accepted, 2000u - first.resent);
  EXPECT_GT(first.events_per_s, 0);
  EXPECT_LE(first.p50, first.p99);
  EXPECT_LE(first.p99, first.p999);
  EXPECT_FALSE(first.caught_up.empty());
  EXPECT_NE(first.caught_up, "never");

  HttpClient http(server->http_port());
  HttpReply status = http.Get("/v1/admin/status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(JsonMemberUint(status.body, "log_head"), first.accepted) << status.body;

  // The same seed and mix send the same events (a prefix of connection 0's stream): all duplicates, and the
  // log does not grow.
  RunResult again = RunTally({"loadgen", "--to", server->tcp_address(), "--events", "500", "--connections", "1",
                              "--stores", "20", "--duplicates", "10"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  LoadgenOutput second;
  ASSERT_TRUE(ParseLoadgen(again.out, &second)) << again.out;
  EXPECT_EQ(second.accepted, 0u);
  EXPECT_EQ(second.duplicates, 500u);
  status = http.Get("/v1/admin/status");
  EXPECT_EQ(JsonMemberUint(status.body, "log_head"), first.accepted) << status.body;
  EXPECT_EQ(server->Stop(), 0) << server->process().Stderr();
}

TEST(LoadgenTest, HelpNamesEveryOption) {
  RunResult help = RunTally({"loadgen", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  for (const char* option : {"--to", "--connections", "--events", "--stores", "--rate", "--duplicates", "--http"}) {
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
  }
}

TEST(LoadgenTest, UnreachableServerFails) {
  RunResult run = RunTally({"loadgen", "--to", "127.0.0.1:1", "--events", "10"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
}

}  // namespace
}  // namespace tally::testing
