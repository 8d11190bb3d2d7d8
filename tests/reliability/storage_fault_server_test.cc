// Storage faults seen from a producer: the whole server (net::Server, the same composition `tally serve` runs)
// on a fault-injecting RocksDB Env. A failed WAL write or fsync, or a full disk, must give the producer an error
// instead of an ack, leave nothing of the failed batch visible, consume no seq, and leave the server serving:
// health, reads and — once the fault is gone — writes. The storage-level cases (atomicity of one group, reopen
// after an unrecoverable error) are in tests/storage/fault_test.cc; these check what the network layer makes
// of them. `tally serve` has no flag for a faulty Env, so the test uses the in-process server
// (ServerOptions::storage_env).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "net/server.h"
#include "tests/testing/fault_fs.h"
#include "tests/testing/http_client.h"
#include "tests/testing/ingest_helpers.h"
#include "tests/testing/tally_process.h"

namespace tally::reliability {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpReply;
using testing::Reply;

std::vector<std::string> Events(const std::string& prefix, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(testing::StartedEvent("s1", prefix + std::to_string(i)));
  return out;
}

std::string Lines(const std::vector<std::string>& events) {
  std::string out;
  for (const std::string& e : events) out += e + "\n";
  return out;
}

class ServerWithFaults : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(fault_.env()); }
  void TearDown() override {
    if (server_) (void)server_->Shutdown();  // may report the stored write error; must not crash or hang
  }

  void StartServer(rocksdb::Env* env) {
    net::ServerOptions options;
    options.data_dir = dir_.Sub("data");
    options.tcp_address = "127.0.0.1:0";
    options.http_address = "127.0.0.1:0";
    options.storage_env = env;
    server_ = std::make_unique<net::Server>(options);
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  // One batch on a fresh connection; the server's answer to it (an Ack, or an Error and close).
  Reply Push(const std::vector<std::string>& events) {
    auto client = net::TcpClient::Connect("127.0.0.1:" + std::to_string(server_->tcp_port()));
    if (!client.ok() || !(*client)->Handshake("", "fault-test").ok()) return Reply();
    if (!(*client)->Send(*testing::BatchMessage(1, events)).ok()) return Reply();
    return testing::ReadReply(**client, 20'000);
  }

  // Pushes until acknowledged: RocksDB recovers from a retryable error or a full disk on its own thread, so the
  // first attempts after the fault may still fail.
  Reply PushUntilAcked(const std::vector<std::string>& events) {
    Reply reply;
    testing::WaitFor([&] { return (reply = Push(events)).kind == Reply::kAck; }, 20s, 20ms);
    return reply;
  }

  uint64_t LogHead() {
    HttpReply status = HttpClient(server_->http_port()).Get("/v1/admin/status");
    EXPECT_EQ(status.status, 200) << status.body;
    return testing::JsonMemberUint(status.body, "log_head").value_or(~0ull);
  }

  void ExpectStillServing() {
    HttpClient http(server_->http_port());
    EXPECT_EQ(http.Get("/healthz").status, 200);
    EXPECT_EQ(http.Get("/v1/stores/s1/daily_metrics?from=2026-11-20&to=2026-11-20").status, 200);
    EXPECT_EQ(http.Get("/metrics").status, 200);
  }

  testing::TempDir dir_;
  testing::FaultEnv fault_;
  std::unique_ptr<net::Server> server_;
};

TEST_F(ServerWithFaults, FailedFsyncIsAnErrorNotAnAckAndTheRetryGetsTheNextSeqs) {
  ASSERT_EQ(Push(Events("a", 3)).kind, Reply::kAck);
  fault_.fs->SetRetryable(true);
  fault_.fs->FailWalSyncs(1);
  Reply failed = Push(Events("b", 3));
  EXPECT_EQ(failed.kind, Reply::kError) << "a batch whose fsync failed was acknowledged";
  EXPECT_FALSE(failed.error_code.empty());
  EXPECT_EQ(LogHead(), 3u) << "part of the failed batch is visible";
  ExpectStillServing();

  Reply retried = PushUntilAcked(Events("b", 3));
  ASSERT_EQ(retried.kind, Reply::kAck) << retried.error_code << " " << retried.error_message;
  EXPECT_EQ(retried.first_seq, 4u) << "the failed batch consumed seqs";
  EXPECT_EQ(retried.accepted, 3u);
  EXPECT_TRUE(retried.duplicates.empty()) << "the failed batch reserved dedup entries";
}

TEST_F(ServerWithFaults, FailedWalWriteOverHttpIsA5xxAndNothingIsVisible) {
  HttpClient http(server_->http_port());
  ASSERT_EQ(http.Post("/v1/events", Lines(Events("a", 2))).status, 200);
  fault_.fs->SetRetryable(true);
  fault_.fs->FailWalAppends(1);
  HttpReply failed = http.Post("/v1/events", Lines(Events("b", 2)));
  EXPECT_GE(failed.status, 500) << failed.body;
  EXPECT_NE(failed.body.find("\"error\""), std::string::npos) << failed.body;
  EXPECT_EQ(LogHead(), 2u);
  ExpectStillServing();
  Reply retried = PushUntilAcked(Events("b", 2));
  ASSERT_EQ(retried.kind, Reply::kAck);
  EXPECT_EQ(retried.first_seq, 3u);
}

TEST_F(ServerWithFaults, FullDiskIsUnavailableUntilSpaceReturns) {
  ASSERT_EQ(Push(Events("a", 1)).kind, Reply::kAck);
  fault_.fs->SetNoSpace(true);
  fault_.fs->FailWalAppends(1);
  Reply failed = Push(Events("b", 2));
  EXPECT_EQ(failed.kind, Reply::kError);
  EXPECT_EQ(failed.error_code, "unavailable") << failed.error_message;
  HttpReply over_http = HttpClient(server_->http_port()).Post("/v1/events", Lines(Events("c", 1)));
  EXPECT_TRUE(over_http.status == 503 || over_http.status == 200) << over_http.status << " " << over_http.body;
  ExpectStillServing();
  fault_.fs->SetNoSpace(false);
  Reply retried = PushUntilAcked(Events("b", 2));
  ASSERT_EQ(retried.kind, Reply::kAck);
  EXPECT_EQ(retried.accepted + retried.duplicates.size(), 2u);
}

// A non-retryable WAL error stops RocksDB writes for good: every later batch gets an error (never an ack),
// reads keep working, and after a restart the log is whole and the producer's retries land exactly once.
TEST_F(ServerWithFaults, UnrecoverableWalErrorRefusesWritesButKeepsServingUntilRestart) {
  ASSERT_EQ(Push(Events("a", 3)).kind, Reply::kAck);
  fault_.fs->FailWalSyncs(1);
  EXPECT_EQ(Push(Events("b", 3)).kind, Reply::kError);
  EXPECT_EQ(Push(Events("c", 1)).kind, Reply::kError);
  ExpectStillServing();
  (void)server_->Shutdown();
  server_.reset();

  StartServer(nullptr);
  Reply b = Push(Events("b", 3));
  Reply c = Push(Events("c", 1));
  ASSERT_EQ(b.kind, Reply::kAck);
  ASSERT_EQ(c.kind, Reply::kAck);
  // The unacknowledged batch b may have survived whole (its bytes reached the WAL) — then the retry reports
  // duplicates — or not at all; never in part.
  EXPECT_TRUE(b.accepted == 3 || b.duplicates.size() == 3) << b.accepted << " accepted";
  EXPECT_EQ(c.accepted, 1u);
  EXPECT_EQ(LogHead(), 7u);
}

}  // namespace
}  // namespace tally::reliability
