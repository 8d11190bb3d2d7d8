// `tally push --retries`: when the server dies mid-push (kill -9) and comes back on the same port, push
// reconnects, sends the unacknowledged batches again, and every event ends up in the log exactly once.
#include <signal.h>

#include <map>
#include <regex>

#include <gtest/gtest.h>

#include "tests/testing/http_client.h"
#include "tests/testing/ingest_helpers.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

std::unique_ptr<ChildProcess> Serve(const std::string& data, const std::string& tcp) {
  auto child = ChildProcess::Start({TALLY_BINARY, "serve", "--data", data, "--tcp", tcp, "--http", "127.0.0.1:0"});
  uint16_t tcp_port = 0, http_port = 0;
  bool up = child && WaitFor([&] { return ParseListeningLine(child->Stdout(), &tcp_port, &http_port) || child->Exited(); });
  EXPECT_TRUE(up && tcp_port != 0) << (child ? child->Stderr() : "");
  return child;
}

uint64_t AppendedSoFar(uint16_t http_port) {
  HttpClient http(http_port, std::chrono::seconds(2));
  HttpReply reply = http.Get("/metrics");
  std::smatch m;
  static const std::regex kAppended("tally_events_appended_total (\\d+)");
  if (reply.status != 200 || !std::regex_search(reply.body, m, kAppended)) return 0;
  return std::stoull(m[1]);
}

TEST(TcpPushRetry, ReconnectsAfterAServerCrashAndLosesNothing) {
  TempDir dir;
  constexpr size_t kEvents = 60'000;
  std::string file = dir.Sub("events.ndjson");
  ASSERT_TRUE(WriteFile(file, Ndjson("s1", "r", kEvents)));
  auto first = Serve(dir.Sub("data"), "127.0.0.1:0");
  ASSERT_TRUE(first);
  uint16_t tcp_port = 0, http_port = 0;
  ASSERT_TRUE(ParseListeningLine(first->Stdout(), &tcp_port, &http_port));
  std::string address = "127.0.0.1:" + std::to_string(tcp_port);

  auto push = ChildProcess::Start({TALLY_BINARY, "push", "--to", address, "--retries", "10", "--batch", "200",
                                   "--inflight", "4", file});
  ASSERT_TRUE(push);
  ASSERT_TRUE(WaitFor([&] { return AppendedSoFar(http_port) > 0 || push->Exited(); }));
  first->Signal(SIGKILL);
  EXPECT_EQ(first->Wait(), 128 + SIGKILL);
  auto second = Serve(dir.Sub("data"), address);  // same port: push reconnects to it
  ASSERT_TRUE(second);

  ASSERT_EQ(push->Wait(std::chrono::seconds(60)), 0) << push->Stderr();
  EXPECT_NE(push->Stderr().find("reconnecting"), std::string::npos) << "the push finished before the crash";
  uint64_t accepted = 0, duplicates = 0, rejected = 0;
  ASSERT_TRUE(ParsePushSummary(push->Stdout(), &accepted, &duplicates, &rejected)) << push->Stdout();
  EXPECT_EQ(accepted + duplicates, kEvents);
  EXPECT_EQ(rejected, 0u);
  second->Signal(SIGTERM);
  ASSERT_EQ(second->Wait(), 0) << second->Stderr();

  RunResult dump = RunTally({"dump", "--data", dir.Sub("data")});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  std::map<std::string, int> seen;
  static const std::regex kEventId("\"event_id\":\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(dump.out.begin(), dump.out.end(), kEventId); it != std::sregex_iterator();
       ++it) {
    ++seen[(*it)[1]];
  }
  EXPECT_EQ(seen.size(), kEvents);
  for (const auto& [event_id, count] : seen) ASSERT_EQ(count, 1) << event_id;
}

}  // namespace
}  // namespace tally::testing
