// Event log, dedup, group commit, lifecycle and view state of the RocksDB storage.
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/options_util.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/bytes.h"
#include "core/event_codec.h"
#include "storage/keys.h"
#include "tests/storage/storage_test_util.h"

namespace tally::storage_test {
namespace {

using testing::TempDir;

// Opens a closed data directory with plain RocksDB and every column family in it, to tamper with it the way
// another tally version (or a user) might. `names[i]` names `handles[i]`.
void OpenRaw(const std::string& path, std::vector<std::string>* names,
             std::vector<rocksdb::ColumnFamilyHandle*>* handles, rocksdb::DB** db) {
  rocksdb::Options options;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& name : *names) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  ASSERT_TRUE(rocksdb::DB::Open(options, path, cfs, handles, db).ok());
}

// Writes one raw key into column family `cf` of a closed data directory, behind tally's back.
void PutRaw(const std::string& path, std::string_view cf, const std::string& key, const std::string& value) {
  std::vector<std::string> names;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenRaw(path, &names, &handles, &db));
  bool found = false;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != cf) continue;
    found = true;
    EXPECT_TRUE(db->Put({}, handles[i], key, value).ok());
  }
  EXPECT_TRUE(found) << cf;
  for (auto* h : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  delete db;
}

// Reads one raw key of column family `cf` of a closed data directory ("" when absent).
std::string GetRaw(const std::string& path, std::string_view cf, const std::string& key) {
  std::vector<std::string> names;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  OpenRaw(path, &names, &handles, &db);
  std::string value;
  for (size_t i = 0; i < names.size() && db != nullptr; ++i) {
    if (names[i] == cf) db->Get({}, handles[i], key, &value).PermitUncheckedError();
  }
  for (auto* h : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  delete db;
  return value;
}

TEST(StorageTest, SequencesAreContiguousFromOne) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  AppendResult first = storage->AppendAndWait(MakeEvents("s1", "a", 3));
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  EXPECT_EQ(first.first_seq, 1u);
  EXPECT_EQ(first.last_seq, 3u);
  EXPECT_EQ(first.accepted, 3u);
  AppendResult second = storage->AppendAndWait(MakeEvents("s1", "b", 2));
  EXPECT_EQ(second.first_seq, 4u);
  EXPECT_EQ(second.last_seq, 5u);
  ASSERT_EQ(second.outcomes.size(), 2u);
  EXPECT_EQ(second.outcomes[1].seq, 5u);
  EXPECT_EQ(storage->LogHead(), 5u);

  auto all = ReadAll(*storage);
  ASSERT_EQ(all.size(), 5u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].first, i + 1);
  EXPECT_EQ(all[0].second, MakeEvent("s1", "a0"));
  EXPECT_EQ(all[4].second, MakeEvent("s1", "b1"));
}

TEST(StorageTest, ReadEventsFromAnySeqWithLimit) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 10)).status.ok());
  std::vector<std::pair<uint64_t, Event>> out;
  ASSERT_TRUE(storage->ReadEvents(4, 3, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].first, 4u);
  EXPECT_EQ(out[0].second.event_id, "e3");
  EXPECT_EQ(out[2].first, 6u);
  ASSERT_TRUE(storage->ReadEvents(11, 100, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(storage->ReadEvents(0, 100, &out).ok());
  EXPECT_EQ(out.size(), 10u);
}

// A cursor continues where its last read stopped and ends at the head as of its creation; the default
// (ReadEvents-based) cursor that other Storage implementations get behaves the same.
TEST(StorageTest, LogCursorReadsOnInPiecesUpToTheHeadAtItsCreation) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 10)).status.ok());
  std::unique_ptr<LogCursor> rocks = storage->ReadLog(4);
  std::unique_ptr<LogCursor> generic = storage->Storage::ReadLog(4);
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "late", 5)).status.ok());
  for (LogCursor* log : {rocks.get(), generic.get()}) {
    std::vector<uint64_t> seqs;
    std::vector<std::pair<uint64_t, Event>> out;
    size_t reads = 0;
    for (;; ++reads) {
      ASSERT_TRUE(log->Read(3, &out).ok());
      if (out.empty()) break;
      EXPECT_LE(out.size(), 3u);
      for (const auto& [seq, event] : out) {
        seqs.push_back(seq);
        EXPECT_EQ(event.event_id, "e" + std::to_string(seq - 1));
      }
    }
    EXPECT_EQ(seqs, (std::vector<uint64_t>{4, 5, 6, 7, 8, 9, 10}));
    EXPECT_EQ(reads, 3u);  // 3 + 3 + 1, then empty
  }
  std::vector<std::pair<uint64_t, Event>> out;
  ASSERT_TRUE(storage->ReadLog(16)->Read(100, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(storage->ReadLog(0)->Read(100, &out).ok());
  EXPECT_EQ(out.size(), 15u);
}

// A stored event that no longer decodes stops the read with a corruption error naming its sequence; the events
// before it are handed out (decoded over slots the vector already held), the slots from it on are dropped.
TEST(StorageTest, LogReadStopsAtADamagedEventAndNamesIt) {
  TempDir dir;
  {
    auto storage = OpenOrDie(OptionsFor(dir.path()));
    ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 10)).status.ok());
    ASSERT_TRUE(storage->Close().ok());
  }
  ASSERT_NO_FATAL_FAILURE(PutRaw(dir.path(), storage_keys::kEventsCf, BigEndianKey64(6), "not a stored event"));
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_NE(storage, nullptr);

  // The cursor's vector already holds more used slots than the read will fill.
  std::vector<std::pair<uint64_t, Event>> out(8, {99, MakeEvent("old", "stale")});
  std::unique_ptr<LogCursor> log = storage->ReadLog(3);
  Status s = log->Read(100, &out);
  EXPECT_EQ(s.code(), Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("event 6"), std::string::npos) << s.ToString();
  ASSERT_EQ(out.size(), 3u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].first, i + 3);
    EXPECT_EQ(out[i].second, MakeEvent("s1", "e" + std::to_string(i + 2)));
  }

  s = storage->ReadEvents(1, 100, &out);
  EXPECT_EQ(s.code(), Code::kCorruption) << s.ToString();
  EXPECT_EQ(out.size(), 5u);
  // Reads that end before the damaged event are unaffected.
  ASSERT_TRUE(storage->ReadEvents(1, 5, &out).ok());
  EXPECT_EQ(out.size(), 5u);
}

TEST(StorageTest, DuplicatesWithinOneRequest) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  std::vector<Event> events = {MakeEvent("s1", "a"), MakeEvent("s1", "b"), MakeEvent("s1", "a", "other"),
                               MakeEvent("s2", "a")};
  AppendResult r = storage->AppendAndWait(events);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_FALSE(r.outcomes[0].duplicate);
  EXPECT_TRUE(r.outcomes[2].duplicate);
  EXPECT_EQ(r.outcomes[2].seq, r.outcomes[0].seq);
  EXPECT_FALSE(r.outcomes[3].duplicate) << "the same event_id in another store is a different event";
  EXPECT_EQ(r.outcomes[3].seq, 3u);
  EXPECT_EQ(r.last_seq, 3u);
  // The first copy wins whatever the payload.
  auto all = ReadAll(*storage);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].second.conversation_id, "c1");
}

TEST(StorageTest, DuplicatesAcrossRequestsAndReopen) {
  TempDir dir;
  {
    auto storage = OpenOrDie(OptionsFor(dir.path()));
    ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "x", 4)).status.ok());
    AppendResult again = storage->AppendAndWait({MakeEvent("s1", "x2"), MakeEvent("s1", "y")});
    EXPECT_TRUE(again.outcomes[0].duplicate);
    EXPECT_EQ(again.outcomes[0].seq, 3u);
    EXPECT_EQ(again.outcomes[1].seq, 5u);
    EXPECT_EQ(again.first_seq, 5u);
    ASSERT_TRUE(storage->Close().ok());
  }
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  EXPECT_EQ(storage->LogHead(), 5u);
  AppendResult after = storage->AppendAndWait({MakeEvent("s1", "x0"), MakeEvent("s1", "y"), MakeEvent("s1", "z")});
  ASSERT_TRUE(after.status.ok());
  EXPECT_TRUE(after.outcomes[0].duplicate);
  EXPECT_EQ(after.outcomes[0].seq, 1u);
  EXPECT_TRUE(after.outcomes[1].duplicate);
  EXPECT_EQ(after.outcomes[1].seq, 5u);
  EXPECT_EQ(after.outcomes[2].seq, 6u);
  EXPECT_EQ(storage->Stats().duplicates, 2u);

  auto found = storage->FindEvent("s1", "x3");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::optional<uint64_t>(4));
  auto missing = storage->FindEvent("s2", "x3");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

// A clean close flushes every memtable, so the WAL files left behind hold nothing for the next open to replay;
// what was written reads back from the SST files alone.
TEST(StorageTest, CleanCloseLeavesNoWalToReplay) {
  TempDir dir;
  {
    auto storage = OpenOrDie(OptionsFor(dir.path()));
    ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "x", 2000)).status.ok());
    StateWrite write;
    write.puts.emplace_back("view\x01row", "value");
    write.offsets.emplace_back("view", 2000);
    ASSERT_TRUE(storage->CommitState(write).ok());
    ASSERT_TRUE(storage->Close().ok());
  }
  uint64_t wal_bytes = 0;
  size_t sst_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".log") wal_bytes += entry.file_size();
    if (entry.path().extension() == ".sst") ++sst_files;
  }
  EXPECT_EQ(wal_bytes, 0u);
  EXPECT_GT(sst_files, 0u);
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  EXPECT_EQ(storage->LogHead(), 2000u);
  auto found = storage->FindEvent("s1", "x1999");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::optional<uint64_t>(2000));
  auto state = storage->CommittedState();
  EXPECT_EQ(state->Offset("view"), 2000u);
  auto row = state->Get("view\x01row");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(*row, std::optional<std::string>("value"));
}

// After a reopen the recent-ids cache is empty, so every id of a request is looked up in RocksDB — here in
// several pieces (the lookup goes 32 keys at a time), old and new ids interleaved across the pieces' edges.
TEST(StorageTest, DuplicatesFoundInEveryPieceOfALargeLookup) {
  TempDir dir;
  {
    auto storage = OpenOrDie(OptionsFor(dir.path()));
    ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "e", 100)).status.ok());
    ASSERT_TRUE(storage->Close().ok());
  }
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  std::vector<Event> events;
  for (int i = 0; i < 100; ++i) {
    events.push_back(MakeEvent("s1", "e" + std::to_string(i)));
    if (i % 3 == 0) events.push_back(MakeEvent("s1", "new" + std::to_string(i)));
  }
  AppendResult r = storage->AppendAndWait(events);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.outcomes.size(), 134u);
  EXPECT_EQ(r.accepted, 34u);
  uint64_t next_new = 101;
  for (size_t k = 0; k < events.size(); ++k) {
    const std::string& id = events[k].event_id;
    if (id.starts_with("new")) {
      EXPECT_FALSE(r.outcomes[k].duplicate) << id;
      EXPECT_EQ(r.outcomes[k].seq, next_new++) << id;
    } else {
      EXPECT_TRUE(r.outcomes[k].duplicate) << id;
      EXPECT_EQ(r.outcomes[k].seq, std::stoull(id.substr(1)) + 1) << id;
    }
  }
}

TEST(StorageTest, AllDuplicateRequestAcceptsNothing) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s1", "a", 2)).status.ok());
  AppendResult r = storage->AppendAndWait(MakeEvents("s1", "a", 2));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_EQ(r.first_seq, 0u);
  EXPECT_EQ(r.last_seq, 0u);
  EXPECT_EQ(storage->LogHead(), 2u);
}

TEST(StorageTest, ConcurrentAppendersGetDisjointContiguousRangesAndShareGroups) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  constexpr int kThreads = 4, kRequests = 100, kEvents = 10;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<AppendResult> results;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRequests; ++r) {
        std::string prefix = "t" + std::to_string(t) + "r" + std::to_string(r) + "e";
        storage->Append(MakeEvents("s" + std::to_string(t % 2), prefix, kEvents), {}, [&](AppendResult result) {
          std::lock_guard<std::mutex> lock(mu);
          results.push_back(std::move(result));
          cv.notify_all();
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return results.size() == kThreads * kRequests; }));
  }
  std::set<uint64_t> seen;
  for (const AppendResult& r : results) {
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.last_seq - r.first_seq + 1, uint64_t{kEvents});
    for (size_t i = 0; i < r.outcomes.size(); ++i) EXPECT_EQ(r.outcomes[i].seq, r.first_seq + i);
    for (uint64_t s = r.first_seq; s <= r.last_seq; ++s) EXPECT_TRUE(seen.insert(s).second) << "seq twice: " << s;
  }
  ASSERT_EQ(seen.size(), size_t{kThreads * kRequests * kEvents});
  EXPECT_EQ(*seen.begin(), 1u);
  EXPECT_EQ(*seen.rbegin(), seen.size());
  StorageStats stats = storage->Stats();
  EXPECT_EQ(stats.requests_committed, uint64_t{kThreads * kRequests});
  EXPECT_EQ(stats.events_appended, seen.size());
  EXPECT_LT(stats.groups_committed, stats.requests_committed) << "concurrent requests should share groups";
  EXPECT_EQ(stats.fsyncs, stats.groups_committed) << "one fsync per group under kSync";
}

TEST(StorageTest, ListenerSeesEachNewHead) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  std::vector<uint64_t> heads;  // written on the writer thread, read after AppendAndWait returned
  std::mutex mu;
  storage->SetAppendListener([&](uint64_t head) {
    std::lock_guard<std::mutex> lock(mu);
    heads.push_back(head);
  });
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s", "a", 2)).status.ok());
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s", "a", 2)).status.ok());  // duplicates: head unchanged
  ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s", "b", 1)).status.ok());
  ASSERT_TRUE(storage->Close().ok());  // the writer has finished every callback
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(heads, (std::vector<uint64_t>{2, 3}));
}

TEST(StorageTest, AppendAfterCloseIsUnavailable) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage->Close().ok());
  AppendResult r = storage->AppendAndWait(MakeEvents("s", "a", 1));
  EXPECT_EQ(r.status.code(), Code::kUnavailable);
  std::vector<Event> events = MakeEvents("s", "a", 1);
  Status s = storage->TryAppend(std::move(events), {}, [](AppendResult) {});
  EXPECT_EQ(s.code(), Code::kUnavailable);
}

TEST(StorageTest, TryAppendRefusesWhenTheQueueIsFull) {
  TempDir dir;
  StorageOptions options = OptionsFor(dir.path());
  options.max_queue_events = 5;
  auto storage = OpenOrDie(options);
  // Hold the writer inside the first request's callback so later requests stay queued.
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  storage->Append(MakeEvents("s", "first", 1), {}, [&](AppendResult) {
    std::unique_lock<std::mutex> lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered; }));
  }
  std::atomic<int> done{0};
  std::vector<Event> four = MakeEvents("s", "q", 4);
  ASSERT_TRUE(storage->TryAppend(std::move(four), {}, [&](AppendResult) { ++done; }).ok());
  std::vector<Event> two = MakeEvents("s", "r", 2);
  Status full = storage->TryAppend(std::move(two), {}, [&](AppendResult) { ++done; });
  EXPECT_EQ(full.code(), Code::kUnavailable);
  EXPECT_EQ(two.size(), 2u) << "a refused request is left with the caller";
  EXPECT_EQ(storage->Stats().queued_events, 4u);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(storage->Close().ok());
  EXPECT_EQ(done.load(), 1);
  EXPECT_EQ(storage->Stats().events_appended, 5u);
}

TEST(StorageTest, RefusesAnUnknownFormatVersion) {
  TempDir dir;
  {
    auto storage = OpenOrDie(OptionsFor(dir.path()));
    ASSERT_TRUE(storage->Close().ok());
  }
  ASSERT_NO_FATAL_FAILURE(
      PutRaw(dir.path(), storage_keys::kMetaCf, std::string(storage_keys::kFormatVersionKey), BigEndianKey64(4)));
  auto reopened = Storage::Open(OptionsFor(dir.path()));
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.status().message().find("format version 4"), std::string::npos) << reopened.status().ToString();
}

// A directory of an older format (format 1: flat event values; format 2: packed ones) opens: its events read
// back as they were, new ones are appended in the compact form, and the directory is marked format 3, which an
// older tally refuses.
void UpgradesAnOlderDirectory(uint64_t version, std::string (*encode)(const Event&)) {
  TempDir dir;
  const std::vector<Event> old_events = MakeEvents("s1", "old", 3);
  {
    auto storage = OpenOrDie(OptionsFor(dir.path()));
    ASSERT_TRUE(storage->AppendAndWait(old_events).status.ok());
    ASSERT_TRUE(storage->Close().ok());
  }
  // What the older tally left: the same events, in its form.
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    ASSERT_NO_FATAL_FAILURE(
        PutRaw(dir.path(), storage_keys::kEventsCf, BigEndianKey64(seq), encode(old_events[seq - 1])));
  }
  ASSERT_NO_FATAL_FAILURE(
      PutRaw(dir.path(), storage_keys::kMetaCf, std::string(storage_keys::kFormatVersionKey), BigEndianKey64(version)));
  {
    auto storage = OpenOrDie(OptionsFor(dir.path()));
    AppendResult dup = storage->AppendAndWait(MakeEvents("s1", "old", 1));
    ASSERT_TRUE(dup.status.ok());
    ASSERT_EQ(dup.outcomes.size(), 1u);
    EXPECT_TRUE(dup.outcomes[0].duplicate) << "the old events' dedup entries still count";
    const std::vector<Event> new_events = MakeEvents("s1", "new", 2);
    AppendResult appended = storage->AppendAndWait(new_events);
    ASSERT_TRUE(appended.status.ok());
    EXPECT_EQ(appended.first_seq, 4u);
    auto all = ReadAll(*storage);
    ASSERT_EQ(all.size(), 5u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(all[i].second, old_events[i]) << i;
    EXPECT_EQ(all[3].second, new_events[0]);
    EXPECT_EQ(all[4].second, new_events[1]);
    ASSERT_TRUE(storage->Close().ok());
  }
  // The old values stay as they were; the new ones are compact.
  EXPECT_EQ(GetRaw(dir.path(), storage_keys::kEventsCf, BigEndianKey64(1)), encode(old_events[0]));
  EXPECT_EQ(GetRaw(dir.path(), storage_keys::kEventsCf, BigEndianKey64(4)).substr(0, 2), "\xff\xfe");
  // Marked format 3 now, which an older reader refuses; this one opens it as it is.
  EXPECT_EQ(GetRaw(dir.path(), storage_keys::kMetaCf, std::string(storage_keys::kFormatVersionKey)), BigEndianKey64(3));
  auto reopened = OpenOrDie(OptionsFor(dir.path()));
  EXPECT_EQ(ReadAll(*reopened).size(), 5u);
}

TEST(StorageTest, UpgradesAFormat1DirectoryAndReadsItsFlatEvents) {
  UpgradesAnOlderDirectory(1, &EncodeStoredEventFlat);
}

TEST(StorageTest, UpgradesAFormat2DirectoryAndReadsItsPackedEvents) {
  UpgradesAnOlderDirectory(2, &EncodeStoredEventPacked);
}

TEST(StorageTest, SecondOpenOfTheSameDirectoryIsRefused) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  auto second = Storage::Open(OptionsFor(dir.path()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable) << second.status().ToString();
}

TEST(StorageTest, MissingDirectoryWithoutCreateIsAnError) {
  TempDir dir;
  StorageOptions options = OptionsFor(dir.Sub("absent"));
  options.create_if_missing = false;
  auto missing = Storage::Open(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound) << missing.status().ToString();
}

}  // namespace
}  // namespace tally::storage_test

namespace tally::storage_test {
namespace {

TEST(StorageTest, AsyncDurabilityAcksAndSyncsOnAnInterval) {
  testing::TempDir dir;
  StorageOptions options = OptionsFor(dir.path());
  options.durability = Durability::kAsync;
  options.async_sync_interval_ms = 5;
  auto storage = OpenOrDie(options);
  AppendResult r = storage->AppendAndWait(MakeEvents("s", "a", 3));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.last_seq, 3u);
  EXPECT_TRUE(testing::WaitFor([&] { return storage->Stats().fsyncs >= 1; }))
      << "the syncer fsyncs the WAL after an unsynced write";
  ASSERT_TRUE(storage->Close().ok());
  auto reopened = OpenOrDie(OptionsFor(dir.path()));
  EXPECT_EQ(reopened->LogHead(), 3u);
}

TEST(StorageTest, GroupsNeverExceedMaxGroupEventsButKeepRequestsWhole) {
  testing::TempDir dir;
  StorageOptions options = OptionsFor(dir.path());
  options.max_group_events = 4;
  auto storage = OpenOrDie(options);
  // A request larger than the cap still goes through whole, in one group.
  AppendResult big = storage->AppendAndWait(MakeEvents("s", "big", 10));
  ASSERT_TRUE(big.status.ok());
  EXPECT_EQ(big.first_seq, 1u);
  EXPECT_EQ(big.last_seq, 10u);
  EXPECT_EQ(storage->Stats().groups_committed, 1u);
}

}  // namespace
}  // namespace tally::storage_test

namespace tally::storage_test {
namespace {

TEST(StorageTest, OpensADirectoryWithAColumnFamilyItDoesNotKnow) {
  testing::TempDir dir;
  {
    auto storage = OpenOrDie(OptionsFor(dir.path()));
    ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s", "a", 2)).status.ok());
  }
  {
    std::vector<std::string> names;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_NO_FATAL_FAILURE(OpenRaw(dir.path(), &names, &handles, &db));
    rocksdb::ColumnFamilyHandle* extra = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "from_the_future", &extra).ok());
    handles.push_back(extra);
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage);
  EXPECT_EQ(storage->LogHead(), 2u);
  bool listed = false;
  for (const auto& [name, bytes] : storage->SizesByColumnFamily()) listed = listed || name == "from_the_future";
  EXPECT_TRUE(listed);
}

// The column-family options RocksDB recorded for a directory (its latest OPTIONS file), by CF name.
std::map<std::string, rocksdb::ColumnFamilyOptions> RecordedCfOptions(const std::string& path) {
  rocksdb::ConfigOptions config;
  config.ignore_unknown_options = true;
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  EXPECT_TRUE(rocksdb::LoadLatestOptions(config, path, &db_options, &cfs).ok());
  std::map<std::string, rocksdb::ColumnFamilyOptions> by_name;
  for (auto& cf : cfs) by_name.emplace(cf.name, std::move(cf.options));
  return by_name;
}

// The state CF compresses only its bottommost level, the log every level.
TEST(StorageTest, StateIsCompressedOnlyAtItsBottommostLevel) {
  testing::TempDir dir;
  ASSERT_TRUE(OpenOrDie(OptionsFor(dir.path())));
  auto cfs = RecordedCfOptions(dir.path());
  ASSERT_EQ(cfs.count(std::string(storage_keys::kStateCf)), 1u);
  ASSERT_EQ(cfs.count(std::string(storage_keys::kEventsCf)), 1u);
  const auto& state = cfs[std::string(storage_keys::kStateCf)];
  EXPECT_EQ(state.compression, rocksdb::kNoCompression);
  EXPECT_EQ(state.bottommost_compression, rocksdb::kSnappyCompression);
  const auto& events = cfs[std::string(storage_keys::kEventsCf)];
  EXPECT_EQ(events.compression, rocksdb::kSnappyCompression);
  EXPECT_EQ(events.bottommost_compression, rocksdb::kDisableCompressionOption);
}

// An offline rebuild lets more L0 files of view state gather before compacting them; a serving directory does
// not, and reopening it for serving puts RocksDB's default back.
TEST(StorageTest, OfflineRebuildCompactsTheStateLater) {
  testing::TempDir dir;
  const std::string state(storage_keys::kStateCf);
  ASSERT_TRUE(OpenOrDie(OptionsFor(dir.path())));
  const int serving = RecordedCfOptions(dir.path())[state].level0_file_num_compaction_trigger;
  StorageOptions rebuild = OptionsFor(dir.path());
  rebuild.offline_rebuild = true;
  ASSERT_TRUE(OpenOrDie(rebuild));
  EXPECT_EQ(RecordedCfOptions(dir.path())[state].level0_file_num_compaction_trigger, 2 * serving);
  ASSERT_TRUE(OpenOrDie(OptionsFor(dir.path())));
  EXPECT_EQ(RecordedCfOptions(dir.path())[state].level0_file_num_compaction_trigger, serving);
  EXPECT_EQ(serving, rocksdb::ColumnFamilyOptions().level0_file_num_compaction_trigger);
}

}  // namespace
}  // namespace tally::storage_test
