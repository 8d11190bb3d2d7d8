// Crash safety: a child process appends in a loop (sync durability) and prints every acknowledged outcome;
// the parent SIGKILLs it at a random moment, reopens the data directory and checks that every acknowledged
// event is present exactly once, seqs are contiguous from 1, and the dedup index and the log agree both ways.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <rocksdb/db.h>

#include "core/bytes.h"
#include "storage/keys.h"
#include "tests/storage/storage_test_util.h"

namespace tally::storage_test {
namespace {

using testing::TempDir;

constexpr const char* kChildDirEnv = "TALLY_CRASH_CHILD_DIR";

// One appender thread of the child: batches of 1..40 new events, every fifth batch re-sent (duplicates).
void AppendForever(Storage& storage, int thread, std::mutex& out_mu) {
  std::mt19937 rng(static_cast<unsigned>(getpid() * 31 + thread));
  std::vector<Event> previous;
  for (uint64_t n = 0;; ++n) {
    std::vector<Event> batch;
    if (n % 5 == 4 && !previous.empty()) {
      batch = previous;
    } else {
      const int size = 1 + static_cast<int>(rng() % 40);
      for (int i = 0; i < size; ++i) {
        batch.push_back(MakeEvent("store" + std::to_string(rng() % 3),
                                  "p" + std::to_string(getpid()) + "t" + std::to_string(thread) + "n" +
                                      std::to_string(n) + "i" + std::to_string(i)));
      }
    }
    AppendResult r = storage.AppendAndWait(batch);
    if (!r.status.ok()) std::abort();
    std::string lines;
    for (size_t i = 0; i < batch.size(); ++i) {
      lines += "ACK " + batch[i].store_id + " " + batch[i].event_id + " " + std::to_string(r.outcomes[i].seq) + "\n";
    }
    std::lock_guard<std::mutex> lock(out_mu);
    if (write(1, lines.data(), lines.size()) != static_cast<ssize_t>(lines.size())) std::abort();
    previous = std::move(batch);
  }
}

// Helper mode, run by CrashTest in a child process; skipped in a normal run.
TEST(CrashChild, AppendUntilKilled) {
  const char* dir = std::getenv(kChildDirEnv);
  if (dir == nullptr) GTEST_SKIP() << "helper of CrashTest; runs only in its child process";
  auto storage = OpenOrDie(OptionsFor(dir));
  ASSERT_TRUE(storage);
  std::mutex out_mu;
  std::thread other([&] { AppendForever(*storage, 1, out_mu); });
  AppendForever(*storage, 0, out_mu);
}

struct Ack {
  std::string store, id;
  uint64_t seq;
};

std::vector<Ack> ParseAcks(const std::string& out) {
  std::vector<Ack> acks;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof() || line.rfind("ACK ", 0) != 0) continue;  // a line cut by the kill has no newline
    std::istringstream fields(line.substr(4));
    Ack ack;
    fields >> ack.store >> ack.id >> ack.seq;
    acks.push_back(ack);
  }
  return acks;
}

size_t CountAcks(const std::string& out) {
  size_t n = 0;
  for (size_t pos = out.find("ACK "); pos != std::string::npos; pos = out.find("ACK ", pos + 4)) ++n;
  return n;
}

// Scans the dedup column family directly: every entry must name an event with the same ids.
void CheckDedupIndex(const std::string& path, const std::vector<std::pair<uint64_t, Event>>& log) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& name : names) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, cfs, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  size_t entries = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != storage_keys::kDedupCf) continue;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++entries) {
      const uint64_t seq = GetBigEndian64(it->value().ToStringView());
      ASSERT_GE(seq, 1u);
      ASSERT_LE(seq, log.size());
      const Event& event = log[seq - 1].second;
      EXPECT_EQ(it->key().ToString(), storage_keys::DedupKey(event.store_id, event.event_id));
    }
  }
  EXPECT_EQ(entries, log.size()) << "one dedup entry per event";
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
}

void CheckAfterCrash(const std::string& path, const std::vector<Ack>& acks) {
  auto storage = OpenOrDie(OptionsFor(path));
  ASSERT_TRUE(storage);
  auto log = ReadAll(*storage);
  EXPECT_EQ(storage->LogHead(), log.size());
  for (size_t i = 0; i < log.size(); ++i) {
    ASSERT_EQ(log[i].first, i + 1) << "seqs must be contiguous from 1";
    auto found = storage->FindEvent(log[i].second.store_id, log[i].second.event_id);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(*found, std::optional<uint64_t>(i + 1)) << "every event has its dedup entry, and only once";
  }
  for (const Ack& ack : acks) {
    ASSERT_GE(ack.seq, 1u);
    ASSERT_LE(ack.seq, log.size()) << "acknowledged " << ack.id << " lost";
    EXPECT_EQ(log[ack.seq - 1].second.event_id, ack.id);
    EXPECT_EQ(log[ack.seq - 1].second.store_id, ack.store);
  }
  storage.reset();
  CheckDedupIndex(path, log);
}

std::string SelfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

TEST(CrashTest, KillNineLosesNoAcknowledgedEvent) {
  TempDir dir;
  const unsigned seed = std::random_device()();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<Ack> all_acks;
  for (int round = 0; round < 3; ++round) {
    setenv(kChildDirEnv, dir.path().c_str(), 1);
    auto child = testing::ChildProcess::Start({SelfPath(), "--gtest_filter=CrashChild.AppendUntilKilled"});
    unsetenv(kChildDirEnv);
    ASSERT_TRUE(child);
    const size_t target = 100 + rng() % 3000;
    const bool reached = testing::WaitFor([&] { return CountAcks(child->Stdout()) >= target; }, std::chrono::seconds(60));
    ASSERT_TRUE(reached) << "child output:\n" << child->Stdout().substr(0, 2000) << child->Stderr();
    child->Signal(SIGKILL);
    ASSERT_TRUE(child->Wait().has_value());
    child->WaitForStdout("\x01 (wait for the pipe to drain)", std::chrono::seconds(10));
    std::vector<Ack> acks = ParseAcks(child->Stdout());
    ASSERT_GE(acks.size(), target);
    all_acks.insert(all_acks.end(), acks.begin(), acks.end());
    CheckAfterCrash(dir.path(), all_acks);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace tally::storage_test
