// `tally serve` start-up checks: open mode only on loopback, clear errors for bad flags.
#include <signal.h>

#include <gtest/gtest.h>

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
  auto child = ChildProcess::Start({TALLY_BINARY, "serve", "--data", dir.Sub("data"), "--tcp", "0.0.0.0:0",
                                    "--http", "off", "--auth", dir.Sub("tokens.json")});
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

}  // namespace
}  // namespace tally::testing
