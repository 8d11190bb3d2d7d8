// The Cap'n Proto TCP protocol against the real server: pipelining, dedup, rejections and sentAt, from a raw
// client that builds the messages itself.
#include <gtest/gtest.h>

#include "core/time.h"
#include "tests/testing/ingest_helpers.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

class TcpProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TallyServer::Start(dir_.Sub("data"));
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->process().Stderr();
    }
  }

  std::vector<std::string> Events(const std::string& store, const std::string& prefix, size_t from, size_t n) {
    std::vector<std::string> out;
    for (size_t i = from; i < from + n; ++i) out.push_back(StartedEvent(store, prefix + std::to_string(i)));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<TallyServer> server_;
};

TEST_F(TcpProtocolTest, PipelinedBatchesAreAckedInOrderWithContiguousSeqs) {
  auto client = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(client);
  constexpr int kBatches = 60;
  constexpr int kPerBatch = 25;
  // Everything is sent before any ack is read: many batches in flight on one connection.
  for (int b = 0; b < kBatches; ++b) {
    auto batch = BatchMessage(100 + b * 3, Events("s1", "e", b * kPerBatch, kPerBatch));
    ASSERT_TRUE(client->Send(*batch).ok());
  }
  uint64_t previous_last = 0;
  for (int b = 0; b < kBatches; ++b) {
    Reply ack = ReadReply(*client);
    ASSERT_EQ(ack.kind, Reply::kAck) << ack.error_code << " " << ack.error_message;
    EXPECT_EQ(ack.batch_seq, static_cast<uint64_t>(100 + b * 3));
    EXPECT_EQ(ack.accepted, static_cast<uint32_t>(kPerBatch));
    EXPECT_EQ(ack.last_seq - ack.first_seq + 1, static_cast<uint64_t>(kPerBatch));
    EXPECT_GT(ack.first_seq, previous_last);  // a connection's batches are appended in order
    previous_last = ack.last_seq;
  }
  EXPECT_EQ(previous_last, static_cast<uint64_t>(kBatches * kPerBatch));  // the log had nothing else
}

TEST_F(TcpProtocolTest, DuplicatesAcrossConnectionsReportTheOriginalSeq) {
  auto first = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->Send(*BatchMessage(1, Events("s1", "d", 0, 10))).ok());
  Reply a = ReadReply(*first);
  ASSERT_EQ(a.kind, Reply::kAck);
  ASSERT_EQ(a.accepted, 10u);

  auto second = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(second);
  // d5..d14, then d14 again inside the same batch.
  std::vector<std::string> events = Events("s1", "d", 5, 10);
  events.push_back(StartedEvent("s1", "d14"));
  ASSERT_TRUE(second->Send(*BatchMessage(1, events)).ok());
  Reply b = ReadReply(*second);
  ASSERT_EQ(b.kind, Reply::kAck);
  EXPECT_EQ(b.accepted, 5u);
  ASSERT_EQ(b.duplicates.size(), 6u);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(b.duplicates[i].first, i);
    EXPECT_EQ(b.duplicates[i].second, a.first_seq + 5 + i);
  }
  EXPECT_EQ(b.duplicates[5].first, 10u);
  EXPECT_EQ(b.duplicates[5].second, b.last_seq);  // the copy of d14 appended earlier in this batch
  // The same event id in another store is a different event.
  ASSERT_TRUE(second->Send(*BatchMessage(2, Events("s2", "d", 0, 1))).ok());
  Reply c = ReadReply(*second);
  EXPECT_EQ(c.accepted, 1u);
  EXPECT_TRUE(c.duplicates.empty());
}

TEST_F(TcpProtocolTest, RejectionsAreReportedPerEventAndOthersProceed) {
  auto client = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(client);
  std::vector<std::string> events = {
      StartedEvent("s1", "ok-1"),
      R"({"event_id":"bad-1","type":"conversation_started","store_id":"s1","occurred_at":"2026-11-20T10:00:00Z","customer_id":"x"})",
      R"({"event_id":"bad-2","type":"no_such_type","store_id":"s1","occurred_at":"2026-11-20T10:00:00Z"})",
      StartedEvent("s1", "ok-2"),
      R"({"event_id":"bad-3","type":"conversation_started","store_id":"s1","occurred_at":"2026-11-20T10:00:00Z","conversation_id":"c","customer_id":"x","colour":"red"})",
  };
  ASSERT_TRUE(client->Send(*BatchMessage(1, events)).ok());
  Reply ack = ReadReply(*client);
  ASSERT_EQ(ack.kind, Reply::kAck) << ack.error_message;
  EXPECT_EQ(ack.accepted, 2u);
  EXPECT_EQ(ack.last_seq, ack.first_seq + 1);
  ASSERT_EQ(ack.rejected.size(), 3u);
  EXPECT_EQ(ack.rejected[0].index, 1u);
  EXPECT_EQ(ack.rejected[0].event_id, "bad-1");
  EXPECT_EQ(ack.rejected[0].code, "missing_field");
  EXPECT_NE(ack.rejected[0].message.find("conversation_id"), std::string::npos) << ack.rejected[0].message;
  EXPECT_EQ(ack.rejected[1].index, 2u);
  EXPECT_EQ(ack.rejected[1].code, "unknown_type");
  EXPECT_EQ(ack.rejected[2].index, 4u);
  EXPECT_EQ(ack.rejected[2].code, "unknown_field");
  EXPECT_NE(ack.rejected[2].message.find("colour"), std::string::npos) << ack.rejected[2].message;
  // A rejected event reserves nothing: sent again fixed, it is accepted.
  std::vector<std::string> fixed = {StartedEvent("s1", "bad-1")};
  ASSERT_TRUE(client->Send(*BatchMessage(2, fixed)).ok());
  EXPECT_EQ(ReadReply(*client).accepted, 1u);
}

TEST_F(TcpProtocolTest, BatchWithNothingAcceptedAcksWithZeroSeqs) {
  auto client = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(*BatchMessage(1, {})).ok());
  Reply empty = ReadReply(*client);
  ASSERT_EQ(empty.kind, Reply::kAck);
  EXPECT_EQ(empty.accepted, 0u);
  EXPECT_EQ(empty.first_seq, 0u);
  EXPECT_EQ(empty.last_seq, 0u);
}

TEST_F(TcpProtocolTest, SentAtCorrectsClientClockSkew) {
  // The client's clock runs 30 hours ahead: its occurred_at looks 30 h in the future to the server, but
  // sentAt carries the same skew, so the corrected time is "just now" and the event is accepted.
  TimeMs now = SystemClock::Instance().NowMs();
  std::string ahead = FormatRfc3339(now + 30 * kMsPerHour);
  auto client = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(*BatchMessage(1, {StartedEvent("s1", "skewed", ahead)}, ahead)).ok());
  Reply corrected = ReadReply(*client);
  EXPECT_EQ(corrected.accepted, 1u);
  EXPECT_TRUE(corrected.rejected.empty());
  // Without sentAt the same event is judged as sent: too far in the future.
  ASSERT_TRUE(client->Send(*BatchMessage(2, {StartedEvent("s1", "unskewed", ahead)})).ok());
  Reply judged = ReadReply(*client);
  ASSERT_EQ(judged.rejected.size(), 1u);
  EXPECT_EQ(judged.rejected[0].code, "future_timestamp");
}

TEST_F(TcpProtocolTest, NonIncreasingBatchSeqClosesOnlyThatConnection) {
  auto client = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(*BatchMessage(5, Events("s1", "q", 0, 1))).ok());
  ASSERT_TRUE(client->Send(*BatchMessage(5, Events("s1", "q", 1, 1))).ok());
  Reply ack = ReadReply(*client);
  EXPECT_EQ(ack.kind, Reply::kAck);
  Reply error = ReadReply(*client);
  ASSERT_EQ(error.kind, Reply::kError);
  EXPECT_EQ(error.error_code, "bad_batch_seq");
  EXPECT_EQ(ReadReply(*client).kind, Reply::kEnd);

  auto other = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->Send(*BatchMessage(1, Events("s1", "q", 1, 1))).ok());
  EXPECT_EQ(ReadReply(*other).accepted, 1u);
}

TEST_F(TcpProtocolTest, HelloIsChecked) {
  auto no_hello = net::TcpClient::Connect(server_->tcp_address());
  ASSERT_TRUE(no_hello.ok());
  ASSERT_TRUE((*no_hello)->Send(*BatchMessage(1, Events("s1", "h", 0, 1))).ok());
  Reply expected = ReadReply(**no_hello);
  ASSERT_EQ(expected.kind, Reply::kError);
  EXPECT_EQ(expected.error_code, "expected_hello");

  auto future = net::TcpClient::Connect(server_->tcp_address());
  ASSERT_TRUE(future.ok());
  ASSERT_TRUE((*future)->Send(*HelloMessage("", 99)).ok());
  Reply version = ReadReply(**future);
  ASSERT_EQ(version.kind, Reply::kError);
  EXPECT_EQ(version.error_code, "unsupported_protocol");

  auto twice = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(twice);
  ASSERT_TRUE(twice->Send(*HelloMessage("")).ok());
  EXPECT_EQ(ReadReply(*twice).error_code, "unexpected_hello");
}

}  // namespace
}  // namespace tally::testing
