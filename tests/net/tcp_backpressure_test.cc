// Backpressure: a producer that keeps sending but never reads its acks makes the server stop reading its
// connection at the unacked-batch limit; the server's memory stays bounded and other producers carry on.
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "tests/testing/ingest_helpers.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

TEST(TcpBackpressure, ServerStopsReadingAClientThatNeverReadsAcks) {
  TempDir dir;
  auto server = TallyServer::Start(dir.Sub("data"), {"--max-unacked-batches", "4", "--idle-timeout-ms", "60000"});
  ASSERT_TRUE(server);
  auto baseline = ResidentKib(server->pid());
  ASSERT_TRUE(baseline);

  auto greedy = ConnectAndHello(server->tcp_address());
  ASSERT_TRUE(greedy);
  // Keep the client's own receive buffer small so that unread acks back up into the server quickly.
  int small = 4096;
  setsockopt(greedy->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  timeval send_timeout{1, 0};  // a send that makes no progress for 1 s means the server stopped reading
  setsockopt(greedy->fd(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);

  // ~1 000 events (~200 KB) per batch; 2 000 batches would be ~400 MB if the server buffered them.
  std::vector<std::string> events;
  for (int i = 0; i < 1000; ++i) events.push_back(StartedEvent("s1", "fill-" + std::to_string(i)));
  size_t sent_batches = 0;
  uint64_t seq = 1;
  long peak_kib = *baseline;
  while (sent_batches < 2000) {
    auto message = BatchMessage(seq++, events);
    if (!greedy->Send(*message).ok()) break;  // stalled: the server is no longer reading
    ++sent_batches;
    if (auto rss = ResidentKib(server->pid())) peak_kib = std::max(peak_kib, *rss);
  }
  // The server stopped reading long before the client ran out of batches: what got through is the unacked
  // limit plus what the kernel's socket buffers hold in both directions (unread acks are small, so a few
  // hundred of them fit before the server's writes stall).
  EXPECT_LT(sent_batches, 1000u) << "the server kept reading a client that never reads acks";
  if (auto rss = ResidentKib(server->pid())) peak_kib = std::max(peak_kib, *rss);
  EXPECT_LT(peak_kib - *baseline, 150 * 1024) << "server memory grew by " << (peak_kib - *baseline) << " KiB";

  // Another producer is not held up by the stalled one.
  auto other = ConnectAndHello(server->tcp_address());
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->Send(*BatchMessage(1, {StartedEvent("s2", "independent")})).ok());
  Reply ack = ReadReply(*other);
  EXPECT_EQ(ack.kind, Reply::kAck);
  EXPECT_EQ(ack.accepted, 1u);

  greedy.reset();
  EXPECT_EQ(server->Stop(), 0) << server->process().Stderr();
}

}  // namespace
}  // namespace tally::testing
