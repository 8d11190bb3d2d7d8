// `tally push` end to end against `tally serve`, and token auth on the TCP path.
#include <gtest/gtest.h>

#include "tests/testing/http_client.h"
#include "tests/testing/ingest_helpers.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

class TcpPushTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    server_ = TallyServer::Start(dir_.Sub("data"), flags);
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->process().Stderr();
    }
  }
  RunResult Push(const std::string& file, std::vector<std::string> extra = {},
                 std::optional<std::string> stdin_data = std::nullopt) {
    std::vector<std::string> args{"push", "--to", server_->tcp_address()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(file);
    return RunTally(args, std::move(stdin_data));
  }

  TempDir dir_;
  std::unique_ptr<TallyServer> server_;
};

TEST_F(TcpPushTest, PushesAFileWithPipeliningAndReportsDuplicatesOnRetry) {
  StartServer();
  std::string file = dir_.Sub("events.ndjson");
  ASSERT_TRUE(WriteFile(file, Ndjson("s1", "p", 5000)));
  // Small batches and a small window so that many batches are in flight and the window is exercised.
  RunResult first = Push(file, {"--batch", "37", "--inflight", "8"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  uint64_t accepted = 0, duplicates = 0, rejected = 0;
  ASSERT_TRUE(ParsePushSummary(first.out, &accepted, &duplicates, &rejected)) << first.out;
  EXPECT_EQ(accepted, 5000u);
  EXPECT_EQ(duplicates, 0u);
  EXPECT_EQ(rejected, 0u);

  RunResult again = Push(file);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  ASSERT_TRUE(ParsePushSummary(again.out, &accepted, &duplicates, &rejected)) << again.out;
  EXPECT_EQ(accepted, 0u);
  EXPECT_EQ(duplicates, 5000u);

  // The ingest counters are on /metrics.
  HttpClient http(server_->http_port());
  HttpReply metrics = http.Get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.error;
  EXPECT_NE(metrics.body.find("tally_events_appended_total 5000\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("tally_events_duplicate_total 5000\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("tally_tcp_batches_total "), std::string::npos) << metrics.body;
}

TEST_F(TcpPushTest, ReportsEachRejectedLineWithItsLineNumber) {
  StartServer();
  std::string input = StartedEvent("s1", "a") + "\n" +                                      // line 1
                      "\n" +                                                                // line 2: blank
                      "this is not json\n" +                                                // line 3
                      R"({"event_id":"b","type":"message_sent","store_id":"s1","occurred_at":"2026-11-20T10:00:00Z","conversation_id":"c","sender":"robot"})" +
                      "\n" +                                                                // line 4
                      StartedEvent("s1", "c") + "\n";                                       // line 5
  RunResult result = Push("-", {}, input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  uint64_t accepted = 0, duplicates = 0, rejected = 0;
  ASSERT_TRUE(ParsePushSummary(result.out, &accepted, &duplicates, &rejected)) << result.out;
  EXPECT_EQ(accepted, 2u);
  EXPECT_EQ(rejected, 2u);
  EXPECT_NE(result.out.find("rejected line=3 event_id= code=malformed"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("rejected line=4 event_id=b code=invalid_value"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("sender"), std::string::npos) << result.out;
}

TEST_F(TcpPushTest, BigEventsAreSplitIntoBatchesUnderTheFrameLimit) {
  StartServer({"--max-frame-bytes", "2000000"});
  // 100 events of ~50 KB: 5 MB in all, more than one frame may carry; push cuts batches by size.
  std::string blob(50 * 1024, 'x');
  std::string input;
  for (int i = 0; i < 100; ++i) {
    std::string event = StartedEvent("s1", "big" + std::to_string(i));
    event.insert(event.size() - 1, R"(,"properties":{"blob":")" + blob + R"("})");
    input += event + "\n";
  }
  std::string file = dir_.Sub("big.ndjson");
  ASSERT_TRUE(WriteFile(file, input));
  RunResult result = Push(file, {"--batch-bytes", "1000000"});
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  uint64_t accepted = 0, duplicates = 0, rejected = 0;
  ASSERT_TRUE(ParsePushSummary(result.out, &accepted, &duplicates, &rejected)) << result.out;
  EXPECT_EQ(accepted, 100u);
  EXPECT_EQ(rejected, 0u);
}

TEST_F(TcpPushTest, FailsWhenTheServerIsUnreachable) {
  StartServer();
  std::string file = dir_.Sub("one.ndjson");
  ASSERT_TRUE(WriteFile(file, Ndjson("s1", "x", 1)));
  uint16_t port = server_->tcp_port();
  ASSERT_EQ(server_->Stop(), 0);
  server_.reset();
  RunResult result = RunTally({"push", "--to", "127.0.0.1:" + std::to_string(port), file});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("error"), std::string::npos) << result.err;
}

class TcpAuthTest : public TcpPushTest {
 protected:
  void SetUp() override {
    std::string tokens = R"({"tokens":[
      {"token":"admin-t","role":"admin","stores":["*"]},
      {"token":"prod-a","role":"producer","stores":["a"]},
      {"token":"read-a","role":"reader","stores":["a"]}]})";
    ASSERT_TRUE(WriteFile(dir_.Sub("tokens.json"), tokens));
    StartServer({"--auth", dir_.Sub("tokens.json")});
  }
};

TEST_F(TcpAuthTest, HelloNeedsAKnownTokenThatMayPush) {
  for (const std::string token : {"", "wrong", "prod-"}) {
    auto client = net::TcpClient::Connect(server_->tcp_address());
    ASSERT_TRUE(client.ok());
    auto welcome = (*client)->Handshake(token, "t");
    ASSERT_FALSE(welcome.ok()) << token;
    EXPECT_EQ(welcome.status().code(), Code::kUnauthorized) << welcome.status().ToString();
  }
  auto reader = net::TcpClient::Connect(server_->tcp_address());
  ASSERT_TRUE(reader.ok());
  auto refused = (*reader)->Handshake("read-a", "t");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kForbidden) << refused.status().ToString();

  std::string file = dir_.Sub("a.ndjson");
  ASSERT_TRUE(WriteFile(file, Ndjson("a", "x", 3)));
  RunResult push = Push(file, {"--token", "nope"});
  EXPECT_NE(push.exit_code, 0);
  EXPECT_NE(push.err.find("unauthorized"), std::string::npos) << push.err;
}

TEST_F(TcpAuthTest, ProducerMayWriteOnlyItsStores) {
  auto client = ConnectAndHello(server_->tcp_address(), "prod-a");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(*BatchMessage(1, {StartedEvent("a", "1"), StartedEvent("b", "2"), StartedEvent("a", "3")}))
                  .ok());
  Reply ack = ReadReply(*client);
  ASSERT_EQ(ack.kind, Reply::kAck);
  EXPECT_EQ(ack.accepted, 2u);
  ASSERT_EQ(ack.rejected.size(), 1u);
  EXPECT_EQ(ack.rejected[0].index, 1u);
  EXPECT_EQ(ack.rejected[0].code, "forbidden");

  auto admin = ConnectAndHello(server_->tcp_address(), "admin-t");
  ASSERT_TRUE(admin);
  ASSERT_TRUE(admin->Send(*BatchMessage(1, {StartedEvent("b", "2")})).ok());
  EXPECT_EQ(ReadReply(*admin).accepted, 1u);
}

}  // namespace
}  // namespace tally::testing
