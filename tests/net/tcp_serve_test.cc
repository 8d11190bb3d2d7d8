// `tally serve` start-up checks: open mode only on loopback, clear errors for bad flags, one event loop per
// endpoint.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

TEST(TcpServe, RefusesNonLoopbackWithoutAuth) {
  TempDir dir;
  RunResult result = RunTally({"serve", "--data", dir.Sub("data"), "--tcp", "0.0.0.0:0", "--http", "off"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("0.0.0.0"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("--auth"), std::string::npos) << result.err;
}

TEST(TcpServe, NonLoopbackIsAllowedWithAuth) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Sub("tokens.json"), R"({"tokens":[{"token":"t","role":"admin","stores":["*"]}]})"));
  auto child = ChildProcess::Start({TALLY_BINARY, "serve", "--data", dir.Sub("data"), "--tcp", "0.0.0.0:0", "--http",
                                    "off", "--auth", dir.Sub("tokens.json")});
  ASSERT_TRUE(child);
  ASSERT_TRUE(child->WaitForStdout("listening tcp=0.0.0.0:")) << child->Stderr();
  child->Signal(SIGTERM);
  EXPECT_EQ(child->Wait(), 0) << child->Stderr();
}

TEST(TcpServe, BadFlagsFailClearly) {
  TempDir dir;
  RunResult bad_address = RunTally({"serve", "--data", dir.Sub("data"), "--tcp", "nonsense", "--http", "off"});
  EXPECT_NE(bad_address.exit_code, 0);
  EXPECT_NE(bad_address.err.find("nonsense"), std::string::npos) << bad_address.err;
  RunResult bad_auth = RunTally({"serve", "--data", dir.Sub("data"), "--auth", dir.Sub("missing.json")});
  EXPECT_NE(bad_auth.exit_code, 0);
  EXPECT_NE(bad_auth.err.find("missing.json"), std::string::npos) << bad_auth.err;
  RunResult bad_durability = RunTally({"serve", "--data", dir.Sub("data"), "--durability", "maybe"});
  EXPECT_NE(bad_durability.exit_code, 0);
}

TEST(TcpServe, AsyncDurabilityServesAndSigintStopsCleanly) {
  TempDir dir;
  auto server = TallyServer::Start(dir.Sub("data"), {"--durability", "async"});
  ASSERT_TRUE(server);
  EXPECT_GT(server->tcp_port(), 0);
  EXPECT_GT(server->http_port(), 0);
  server->process().Signal(SIGINT);
  EXPECT_EQ(server->process().Wait(), 0) << server->process().Stderr();
}

// How many of the process's threads carry `name` (/proc/PID/task/*/comm).
int ThreadsNamed(pid_t pid, const std::string& name) {
  int count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ++count;
  }
  return count;
}

// The TCP ingest endpoint and the HTTP API each run their own event loop, on --io-threads threads each; a
// disabled endpoint has none. A thread names itself once it runs, so the counts are awaited, with a deadline.
bool ThreadCountsReach(pid_t pid, int tcp, int http) {
  return WaitFor([&] { return ThreadsNamed(pid, "tally-tcp-io") == tcp && ThreadsNamed(pid, "tally-http-io") == http; },
                 10s);
}

TEST(TcpServe, EachEndpointRunsItsOwnEventLoopThreads) {
  TempDir dir;
  {
    auto server = TallyServer::Start(dir.Sub("data"));
    ASSERT_TRUE(server);
    EXPECT_TRUE(ThreadCountsReach(server->pid(), 1, 1));
    EXPECT_EQ(server->Stop(), 0);
  }
  {
    auto server = TallyServer::Start(dir.Sub("data"), {"--io-threads", "2"});
    ASSERT_TRUE(server);
    EXPECT_TRUE(ThreadCountsReach(server->pid(), 2, 2));
    EXPECT_EQ(server->Stop(), 0);
  }
  {
    auto child = ChildProcess::Start(
        {TALLY_BINARY, "serve", "--data", dir.Sub("data"), "--tcp", "off", "--http", "127.0.0.1:0"});
    ASSERT_TRUE(child);
    ASSERT_TRUE(child->WaitForStdout("listening http=", 20s)) << child->Stderr();
    EXPECT_TRUE(ThreadCountsReach(child->pid(), 0, 1));
    child->Signal(SIGTERM);
    EXPECT_EQ(child->Wait(), 0) << child->Stderr();
  }
}

}  // namespace
}  // namespace tally::testing
