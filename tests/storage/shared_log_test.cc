// SharedLog: readers walking the log together read and decode each chunk once; a reader far ahead waits for the
// slowest only so long; cursors that do not line up with the shared window read alone; and whatever the mix,
// every reader sees exactly the log.
#include "storage/shared_log.h"

#include <thread>

#include "tests/storage/storage_test_util.h"

namespace tally::storage_test {
namespace {

using testing::TempDir;

// Reads the whole cursor in ReadChunk calls of `chunk` events, checking each event against what was appended
// (MakeEvents("s1", "e", ...): seq n holds "e<n-1>"); returns the seqs seen.
std::vector<uint64_t> Drain(LogCursor& cursor, size_t chunk) {
  std::vector<uint64_t> seqs;
  EventChunk scratch;
  std::shared_ptr<const EventChunk> keep;
  for (;;) {
    const EventChunk* events = nullptr;
    Status s = cursor.ReadChunk(chunk, &scratch, &keep, &events);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok() || events->empty()) break;
    EXPECT_LE(events->size(), chunk);
    for (const auto& [seq, event] : *events) {
      EXPECT_EQ(event, MakeEvent("s1", "e" + std::to_string(seq - 1))) << seq;
      seqs.push_back(seq);
    }
  }
  return seqs;
}

std::vector<uint64_t> Seqs(uint64_t from, uint64_t to) {
  std::vector<uint64_t> seqs;
  for (uint64_t s = from; s <= to; ++s) seqs.push_back(s);
  return seqs;
}

// Reads two cursors in step, ReadChunk calls of `chunk` events each, expecting both to get the same shared chunk
// every time (held alive by each reader); returns the seqs they read.
std::vector<uint64_t> DrainInStep(LogCursor& a, LogCursor& b, size_t chunk) {
  EventChunk scratch_a, scratch_b;
  std::shared_ptr<const EventChunk> keep_a, keep_b;
  std::vector<uint64_t> seen;
  for (;;) {
    const EventChunk* events_a = nullptr;
    const EventChunk* events_b = nullptr;
    EXPECT_TRUE(a.ReadChunk(chunk, &scratch_a, &keep_a, &events_a).ok());
    EXPECT_TRUE(b.ReadChunk(chunk, &scratch_b, &keep_b, &events_b).ok());
    if (events_a == nullptr || events_b == nullptr || events_a->empty()) {
      EXPECT_TRUE(events_b == nullptr || events_b->empty());
      break;
    }
    EXPECT_EQ(events_a, events_b) << "one decoded chunk for both readers, from " << events_a->front().first;
    EXPECT_EQ(keep_a.get(), events_a) << "held alive by the reader";
    EXPECT_EQ(keep_b.get(), events_b) << "held alive by the reader";
    for (const auto& item : *events_a) seen.push_back(item.first);
  }
  return seen;
}

// Reads the cursor's next chunk, one the window shares, and returns it held: the reader holds it until the
// pointer goes.
std::shared_ptr<const EventChunk> HoldNextChunk(LogCursor& cursor, size_t chunk) {
  EventChunk scratch;
  std::shared_ptr<const EventChunk> keep;
  const EventChunk* events = nullptr;
  EXPECT_TRUE(cursor.ReadChunk(chunk, &scratch, &keep, &events).ok());
  EXPECT_EQ(keep.get(), events) << "a chunk from the window";
  return keep;
}

TEST(SharedLogTest, ReadersInStepShareEveryChunk) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 100)).status.ok());
  SharedLog log(storage.get(), 4);
  auto first = log.Reader();
  auto second = log.Reader();
  auto a = first->ReadLog(1);
  auto b = second->ReadLog(0);
  EXPECT_EQ(DrainInStep(*a, *b, 7), Seqs(1, 100));
  SharedLog::Stats stats = log.stats();
  EXPECT_EQ(stats.chunks_read, 15u);  // 14 of 7 events and one of 2, each decoded once
  EXPECT_EQ(stats.chunks_taken, 30u);
  EXPECT_EQ(stats.reads_alone, 0u);
  EXPECT_LE(stats.max_window, 2u) << "readers in step: at most the chunk each holds";
}

TEST(SharedLogTest, AReaderFarAheadWaitsForTheSlowestOnlySoLongThenReadsAlone) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 60)).status.ok());
  SharedLog log(storage.get(), 2, std::chrono::milliseconds(20));
  auto fast = log.Reader();
  auto idle = log.Reader();  // registered, reads nothing yet: the window keeps the log's start for it
  EXPECT_EQ(Drain(*fast->ReadLog(1), 10), Seqs(1, 60));
  SharedLog::Stats stats = log.stats();
  EXPECT_EQ(stats.max_window, 2u) << "never more than the window";
  EXPECT_GE(stats.waits, 1u);
  EXPECT_GE(stats.reads_alone, 1u) << "after waiting, the fast reader read on by itself";
  // The idle reader finds the window's chunks still there, and reads the rest of the log itself.
  EXPECT_EQ(Drain(*idle->ReadLog(1), 10), Seqs(1, 60));
  EXPECT_GE(log.stats().chunks_taken, stats.chunks_taken + 2);
}

// tally replay's engines first fold the log's tail into views the server left behind (their live lane), then
// rebuild from seq 1: the tail's chunk, which nobody holds any more, must not keep them out of the window.
TEST(SharedLogTest, ReadersThatGoBackBehindChunksNobodyHoldsShareAgain) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 100)).status.ok());
  SharedLog log(storage.get(), 3, std::chrono::milliseconds(20));
  auto first = log.Reader();
  auto second = log.Reader();
  EXPECT_EQ(Drain(*first->ReadLog(91), 10), Seqs(91, 100));
  EXPECT_EQ(Drain(*second->ReadLog(91), 10), Seqs(91, 100));
  EXPECT_EQ(log.stats().reads_alone, 0u);
  auto a = first->ReadLog(1);
  auto b = second->ReadLog(1);
  EXPECT_EQ(DrainInStep(*a, *b, 10), Seqs(1, 100));
  SharedLog::Stats stats = log.stats();
  EXPECT_EQ(stats.reads_alone, 0u);
  EXPECT_EQ(stats.restarts, 1u);
  EXPECT_EQ(stats.chunks_read, 11u) << "the tail once, then the whole log once";
}

// A reader whose next chunk lies beyond the window's end (its engine got ahead) waits for the others to bring the
// window there instead of reading alone, which would leave it ahead — and both reading the whole log — for good.
TEST(SharedLogTest, AReaderAheadOfTheWindowWaitsForTheOthersToBringItThere) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 100)).status.ok());
  SharedLog log(storage.get(), 3, std::chrono::seconds(10));
  auto ahead_reader = log.Reader();
  auto behind_reader = log.Reader();
  auto behind = behind_reader->ReadLog(1);
  std::shared_ptr<const EventChunk> held = HoldNextChunk(*behind, 10);
  ASSERT_NE(held, nullptr);
  ASSERT_EQ(held->back().first, 10u);  // the window ends at seq 10, and this reader holds its chunk
  std::vector<uint64_t> ahead_seen;
  std::thread ahead([&] { ahead_seen = Drain(*ahead_reader->ReadLog(21), 10); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log.stats().waits == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(log.stats().waits, 1u) << "the reader at seq 21 waits for the window";
  EXPECT_EQ(Drain(*behind, 10), Seqs(11, 100));
  ahead.join();
  EXPECT_EQ(ahead_seen, Seqs(21, 100));
  SharedLog::Stats stats = log.stats();
  EXPECT_EQ(stats.reads_alone, 0u);
  EXPECT_EQ(stats.chunks_read, 10u) << "every chunk decoded once";
}

TEST(SharedLogTest, CursorsThatDoNotLineUpReadAlone) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 50)).status.ok());
  SharedLog log(storage.get(), 4, std::chrono::milliseconds(20));
  auto first = log.Reader();
  auto second = log.Reader();
  auto aligned = first->ReadLog(1);
  auto later_start = second->ReadLog(6);
  std::shared_ptr<const EventChunk> held = HoldNextChunk(*aligned, 10);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->front().first, 1u);
  EXPECT_EQ(Drain(*later_start, 10), Seqs(6, 50)) << "another start";
  EXPECT_EQ(Drain(*second->ReadLog(1), 8), Seqs(1, 50)) << "another chunk size";
  // Events appended after the SharedLog was made: a cursor made now ends at the new head, so it reads alone.
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 60)).status.ok());  // e0..e49 are duplicates
  EXPECT_EQ(storage->LogHead(), 60u);
  const uint64_t alone_before = log.stats().reads_alone;
  EXPECT_EQ(Drain(*second->ReadLog(1), 10), Seqs(1, 60));
  EXPECT_GT(log.stats().reads_alone, alone_before);
  // The cursor made before the append still ends where the log ended then.
  std::vector<uint64_t> rest = Drain(*aligned, 10);
  EXPECT_EQ(rest, Seqs(11, 50));
}

TEST(SharedLogTest, ReadersOnThreadsEachSeeTheWholeLogAndEachChunkIsDecodedOnce) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 3000)).status.ok());
  SharedLog log(storage.get(), 3);
  constexpr int kReaders = 4;
  std::vector<std::unique_ptr<Storage>> readers;
  for (int i = 0; i < kReaders; ++i) readers.push_back(log.Reader());
  std::vector<std::vector<uint64_t>> seen(kReaders);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) {
    threads.emplace_back([&, i] {
      // Rounds of a few chunks each, like the runner: a new cursor where the last one stopped.
      uint64_t from = 1;
      for (;;) {
        auto cursor = readers[i]->ReadLog(from);
        EventChunk scratch;
        std::shared_ptr<const EventChunk> keep;
        size_t read = 0;
        for (int chunk = 0; chunk < 3; ++chunk) {
          const EventChunk* events = nullptr;
          ASSERT_TRUE(cursor->ReadChunk(64, &scratch, &keep, &events).ok());
          for (const auto& [seq, event] : *events) {
            ASSERT_EQ(event.event_id, "e" + std::to_string(seq - 1));
            seen[i].push_back(seq);
          }
          read += events->size();
          if (events->size() < 64) break;
        }
        if (read == 0) break;
        from = seen[i].back() + 1;
      }
      readers[i].reset();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kReaders; ++i) EXPECT_EQ(seen[i], Seqs(1, 3000)) << "reader " << i;
  SharedLog::Stats stats = log.stats();
  EXPECT_LE(stats.chunks_read, 47u) << "3000 events in chunks of 64: no chunk read into the window twice";
  EXPECT_LE(stats.max_window, 3u);
  EXPECT_EQ(stats.chunks_taken + stats.reads_alone, kReaders * 47u)
      << "each reader's 47 chunks came from the window or from its own cursor";
}

}  // namespace
}  // namespace tally::storage_test
