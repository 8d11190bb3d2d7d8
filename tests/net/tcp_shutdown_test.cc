// SIGTERM or kill -9 while a producer is pushing. SIGTERM: the server stops reading, acknowledges what it
// received and exits 0. Either way, every acknowledged event is in the log after a restart.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <map>
#include <thread>

#include "tests/testing/ingest_helpers.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

constexpr size_t kPerBatch = 100;

std::vector<std::string> BatchEvents(uint64_t batch) {
  std::vector<std::string> events;
  for (size_t i = 0; i < kPerBatch; ++i) {
    events.push_back(StartedEvent("s1", "b" + std::to_string(batch) + "-" + std::to_string(i)));
  }
  return events;
}

// Pushes batches from one thread while reading acks on this one; after 20 acks sends `sig` to the server
// and keeps reading until the connection ends. Returns the acknowledged batch numbers. A receive_buffer
// (bytes, 0: the default) shrinks the client's socket buffer, so acks queue up on the server's side.
std::vector<uint64_t> PushAndSignal(TallyServer& server, int sig, int receive_buffer = 0) {
  auto client = ConnectAndHello(server.tcp_address());
  EXPECT_TRUE(client);
  if (!client) return {};
  if (receive_buffer > 0) {
    EXPECT_EQ(setsockopt(client->fd(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer)), 0);
  }
  std::atomic<bool> stop_sending{false};
  std::thread sender([&] {
    for (uint64_t batch = 1; batch <= 2000 && !stop_sending; ++batch) {
      if (!client->Send(*BatchMessage(batch, BatchEvents(batch))).ok()) break;
    }
  });
  std::vector<uint64_t> acked;
  bool signalled = false;
  for (;;) {
    Reply reply = ReadReply(*client, 20'000);
    if (reply.kind != Reply::kAck) {
      // After the signal the connection ends (SIGTERM: closed after the acks, or Error unavailable; SIGKILL:
      // closed or reset by the kernel). Nothing else is expected.
      bool reset = sig == SIGKILL && reply.kind == Reply::kTimeout;
      EXPECT_TRUE(reply.kind == Reply::kEnd || reply.error_code == "unavailable" || reset)
          << reply.kind << " " << reply.error_code << " " << reply.error_message;
      break;
    }
    EXPECT_EQ(reply.accepted, kPerBatch);
    acked.push_back(reply.batch_seq);
    if (acked.size() == 20 && !signalled) {
      server.process().Signal(sig);  // mid-stream: the sender is still pushing
      signalled = true;
    }
  }
  stop_sending = true;
  client->ShutdownSend();
  sender.join();
  EXPECT_TRUE(signalled) << "the push ended before the server was signalled";
  return acked;
}

// After a restart every acknowledged event is in the log: sent again it is a duplicate, and `tally dump`
// shows it exactly once.
void ExpectAckedEventsKept(const TempDir& dir, const std::vector<uint64_t>& acked) {
  auto restarted = TallyServer::Start(dir.Sub("data"));
  ASSERT_TRUE(restarted);
  auto check = ConnectAndHello(restarted->tcp_address());
  ASSERT_TRUE(check);
  for (size_t i = 0; i < acked.size(); ++i) {
    ASSERT_TRUE(check->Send(*BatchMessage(i + 1, BatchEvents(acked[i]))).ok());
    Reply again = ReadReply(*check);
    ASSERT_EQ(again.kind, Reply::kAck);
    EXPECT_EQ(again.duplicates.size(), kPerBatch) << "batch " << acked[i] << " was acknowledged but not kept";
    EXPECT_EQ(again.accepted, 0u);
  }
  check.reset();
  EXPECT_EQ(restarted->Stop(), 0) << restarted->process().Stderr();

  RunResult dump = RunTally({"dump", "--data", dir.Sub("data")});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  std::map<std::string, int> seen;
  size_t start = 0;
  while (start < dump.out.size()) {
    size_t end = dump.out.find('\n', start);
    if (end == std::string::npos) end = dump.out.size();
    std::string line = dump.out.substr(start, end - start);
    size_t id = line.find("\"event_id\":\"");
    if (id != std::string::npos) {
      id += 12;
      ++seen[line.substr(id, line.find('"', id) - id)];
    }
    start = end + 1;
  }
  for (uint64_t batch : acked) {
    for (size_t i = 0; i < kPerBatch; ++i) {
      std::string event_id = "b" + std::to_string(batch) + "-" + std::to_string(i);
      ASSERT_EQ(seen[event_id], 1) << event_id;
    }
  }
}

TEST(TcpShutdown, SigtermDuringPushAcksInFlightBatchesAndLosesNothingAcked) {
  TempDir dir;
  auto server = TallyServer::Start(dir.Sub("data"));
  ASSERT_TRUE(server);
  std::vector<uint64_t> acked = PushAndSignal(*server, SIGTERM);
  EXPECT_EQ(server->Stop(), 0) << server->process().Stderr();
  ASSERT_GE(acked.size(), 20u);
  ExpectAckedEventsKept(dir, acked);
}

// The server stops reading while the client still pushes, so it ends the connection with input unread; that
// must not turn into a reset that destroys the last acks still queued for a client reading slowly.
TEST(TcpShutdown, SigtermWithUnreadInputStillEndsInAFinAfterTheLastAck) {
  for (int round = 0; round < 8; ++round) {  // the reset was a race: several tries
    TempDir dir;
    auto server = TallyServer::Start(dir.Sub("data"));
    ASSERT_TRUE(server);
    std::vector<uint64_t> acked = PushAndSignal(*server, SIGTERM, 2048);
    EXPECT_EQ(server->Stop(), 0) << server->process().Stderr();
    ASSERT_GE(acked.size(), 20u);
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(TcpShutdown, KillNineDuringPushLosesNothingAcked) {
  TempDir dir;
  auto server = TallyServer::Start(dir.Sub("data"));
  ASSERT_TRUE(server);
  std::vector<uint64_t> acked = PushAndSignal(*server, SIGKILL);
  EXPECT_EQ(server->process().Wait(), 128 + SIGKILL);
  ASSERT_GE(acked.size(), 20u);
  ExpectAckedEventsKept(dir, acked);
}

}  // namespace
}  // namespace tally::testing
