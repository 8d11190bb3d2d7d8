// Connection limits and broken clients: each gets an Error with a clear code and is closed, while the server
// and every other connection carry on.
#include <gtest/gtest.h>

#include "tests/testing/ingest_helpers.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

class TcpLimitsTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags) {
    server_ = TallyServer::Start(dir_.Sub("data"), flags);
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->process().Stderr();
    }
  }
  // A fresh connection can still push: the server survived whatever the test did.
  void ExpectServerStillWorks(const std::string& id) {
    auto client = ConnectAndHello(server_->tcp_address());
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->Send(*BatchMessage(1, {StartedEvent("s1", id)})).ok());
    Reply ack = ReadReply(*client);
    EXPECT_EQ(ack.kind, Reply::kAck);
    EXPECT_EQ(ack.accepted, 1u);
  }
  static Reply ExpectError(net::TcpClient& client, const std::string& code) {
    Reply reply = ReadReply(client);
    EXPECT_EQ(reply.kind, Reply::kError) << reply.error_message;
    EXPECT_EQ(reply.error_code, code) << reply.error_message;
    EXPECT_EQ(ReadReply(client).kind, Reply::kEnd);  // then the server closes
    return reply;
  }

  TempDir dir_;
  std::unique_ptr<TallyServer> server_;
};

// The 8-byte start of a frame declaring one segment of `words` words.
std::string FrameStart(uint32_t words) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 4; ++i) bytes[4 + i] = static_cast<char>((words >> (8 * i)) & 0xFF);
  return bytes;
}

TEST_F(TcpLimitsTest, OversizedFrameIsRefusedFromItsHeader) {
  StartServer({"--max-frame-bytes", "65536"});
  auto client = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(client);
  // Only the header is sent: the server must judge the size before waiting for (or allocating) the body.
  ASSERT_TRUE(client->SendRaw(FrameStart(1 << 20)).ok());
  Reply error = ExpectError(*client, "frame_too_large");
  EXPECT_NE(error.error_message.find("65536"), std::string::npos) << error.error_message;
  ExpectServerStillWorks("after-oversize");
}

TEST_F(TcpLimitsTest, GarbageBytesAreABadFrame) {
  StartServer({});
  auto http = net::TcpClient::Connect(server_->tcp_address());
  ASSERT_TRUE(http.ok());
  ASSERT_TRUE((*http)->SendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ExpectError(**http, "bad_frame");

  // A well-framed message whose content is not a valid ClientMessage (a far pointer to nowhere).
  auto damaged = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(damaged);
  std::string frame = FrameStart(2);
  frame += std::string("\x02\x00\x00\x00\x09\x00\x00\x00", 8);
  frame += std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  ASSERT_TRUE(damaged->SendRaw(frame).ok());
  ExpectError(*damaged, "bad_frame");
  ExpectServerStillWorks("after-garbage");
}

TEST_F(TcpLimitsTest, TooManyEventsInABatch) {
  StartServer({"--max-batch-events", "10"});
  auto client = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(client);
  std::vector<std::string> ten, eleven;
  for (int i = 0; i < 11; ++i) (i < 10 ? ten : eleven).push_back(StartedEvent("s1", "m" + std::to_string(i)));
  ASSERT_TRUE(client->Send(*BatchMessage(1, ten)).ok());
  EXPECT_EQ(ReadReply(*client).accepted, 10u);
  eleven.insert(eleven.end(), ten.begin(), ten.end());
  ASSERT_TRUE(client->Send(*BatchMessage(2, eleven)).ok());
  ExpectError(*client, "too_many_events");
  ExpectServerStillWorks("after-too-many");
}

TEST_F(TcpLimitsTest, HandshakeAndIdleTimeouts) {
  StartServer({"--handshake-timeout-ms", "300", "--idle-timeout-ms", "400"});
  auto silent = net::TcpClient::Connect(server_->tcp_address());
  ASSERT_TRUE(silent.ok());
  auto idle = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(idle);
  ExpectError(**silent, "handshake_timeout");
  ExpectError(*idle, "idle_timeout");
  ExpectServerStillWorks("after-timeouts");
}

TEST_F(TcpLimitsTest, HalfOpenConnectionInTheMiddleOfAFrameTimesOut) {
  StartServer({"--idle-timeout-ms", "400"});
  auto stuck = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(stuck);
  // A frame that announces 100 words and then stops after the header: the peer went away mid-frame.
  ASSERT_TRUE(stuck->SendRaw(FrameStart(100) + std::string(16, '\0')).ok());
  // Meanwhile another producer is unaffected.
  ExpectServerStillWorks("during-half-open");
  ExpectError(*stuck, "idle_timeout");
}

TEST_F(TcpLimitsTest, TooManyConnections) {
  StartServer({"--max-connections", "2"});
  auto one = ConnectAndHello(server_->tcp_address());
  auto two = ConnectAndHello(server_->tcp_address());
  ASSERT_TRUE(one && two);
  auto three = net::TcpClient::Connect(server_->tcp_address());
  ASSERT_TRUE(three.ok());
  ExpectError(**three, "too_many_connections");
  // The existing connections still work, and a slot frees up when one closes.
  ASSERT_TRUE(one->Send(*BatchMessage(1, {StartedEvent("s1", "c1")})).ok());
  EXPECT_EQ(ReadReply(*one).accepted, 1u);
  two.reset();
  bool admitted = WaitFor([&] {
    auto client = net::TcpClient::Connect(server_->tcp_address());
    return client.ok() && (*client)->Handshake("", "retry").ok();
  });
  EXPECT_TRUE(admitted);
}

}  // namespace
}  // namespace tally::testing
