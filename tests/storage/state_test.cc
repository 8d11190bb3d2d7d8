// View state: atomic commits of rows + offsets, and snapshots that stay consistent while commits continue.
#include "tests/storage/storage_test_util.h"

namespace tally::storage_test {
namespace {

using testing::TempDir;

std::vector<std::pair<std::string, std::string>> ScanAll(const StateSnapshot& snapshot, std::string_view start,
                                                         std::string_view end) {
  std::vector<std::pair<std::string, std::string>> rows;
  Status s = snapshot.Scan(start, end, [&](std::string_view k, std::string_view v) {
    rows.emplace_back(std::string(k), std::string(v));
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rows;
}

TEST(StateTest, CommitIsVisibleWithItsOffset) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  auto before = storage->Snapshot();
  EXPECT_EQ(before->Offset("daily"), 0u);

  StateWrite write;
  write.puts = {{"d/a", "1"}, {"d/b", "2"}, {"d/c", "3"}, {"q/x", "9"}};
  write.offsets = {{"daily", 17}, {"quality", 3}};
  ASSERT_TRUE(storage->CommitState(write).ok());

  auto snap = storage->Snapshot();
  EXPECT_EQ(snap->Offset("daily"), 17u);
  EXPECT_EQ(snap->Offset("quality"), 3u);
  EXPECT_EQ(snap->Offset("usage"), 0u);
  auto b = snap->Get("d/b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, std::optional<std::string>("2"));
  EXPECT_FALSE(snap->Get("d/zz")->has_value());
  EXPECT_EQ(ScanAll(*snap, "d/", "d0").size(), 3u);
  EXPECT_EQ(ScanAll(*snap, "", "").size(), 4u) << "an empty end scans to the end";

  // The older snapshot still sees nothing.
  EXPECT_FALSE(before->Get("d/a")->has_value());
  EXPECT_EQ(before->Offset("daily"), 0u);
}

TEST(StateTest, DeletesAndRangesApplyTogetherAndSnapshotsAreStable) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  StateWrite first;
  first.puts = {{"g1/a", "1"}, {"g1/b", "2"}, {"g2/a", "3"}, {"k", "old"}};
  first.offsets = {{"v", 5}};
  ASSERT_TRUE(storage->CommitState(first).ok());
  auto pinned = storage->Snapshot();

  StateWrite second;
  second.delete_ranges = {{"g1/", "g10"}};
  second.deletes = {"g2/a"};
  second.puts = {{"k", "new"}};
  second.offsets = {{"v", 9}};
  ASSERT_TRUE(storage->CommitState(second).ok());

  auto now = storage->Snapshot();
  EXPECT_EQ(ScanAll(*now, "", ""), (std::vector<std::pair<std::string, std::string>>{{"k", "new"}}));
  EXPECT_EQ(now->Offset("v"), 9u);
  EXPECT_EQ(ScanAll(*pinned, "", "").size(), 4u);
  EXPECT_EQ(pinned->Offset("v"), 5u);
  EXPECT_EQ(*pinned->Get("k").value(), "old");
}

// Snapshots are iterators made together, not RocksDB snapshots: releasing one of those makes RocksDB rewrite
// every bottommost file written before it, the whole log included (docs/performance.md, fix 25).
TEST(StateTest, SnapshotsHoldNoRocksDbSnapshotYetStayConsistent) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  StateWrite first;
  first.puts = {{"a", "1"}, {"b", "2"}};
  first.offsets = {{"v", 1}};
  ASSERT_TRUE(storage->CommitState(first).ok());
  auto pinned = storage->Snapshot();
  auto latest = storage->CommittedState();
  EXPECT_EQ(storage->Stats().rocksdb_snapshots, 0u);

  StateWrite second;
  second.puts = {{"a", "10"}, {"c", "3"}};
  second.deletes = {"b"};
  second.offsets = {{"v", 2}};
  ASSERT_TRUE(storage->CommitState(second).ok());

  // The snapshot answers from before the second commit, for point reads, scans and offsets alike ...
  EXPECT_EQ(*pinned->Get("a").value(), "1");
  EXPECT_EQ(*pinned->Get("b").value(), "2");
  EXPECT_FALSE(pinned->Get("c")->has_value());
  EXPECT_FALSE(pinned->Get("aa")->has_value()) << "a seek that lands on the next key is not a hit";
  EXPECT_EQ(pinned->Offset("v"), 1u);
  EXPECT_EQ(pinned->Offset("w"), 0u);
  EXPECT_EQ(ScanAll(*pinned, "a", "c"), (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2"}}));
  // ... while the committed-state reader sees the latest commit.
  EXPECT_EQ(*latest->Get("a").value(), "10");
  EXPECT_FALSE(latest->Get("b")->has_value());
  EXPECT_EQ(latest->Offset("v"), 2u);
  EXPECT_EQ(ScanAll(*latest, "", "").size(), 2u);

  // A scan's callback may read points of the same snapshot, but not start a second scan of it.
  std::vector<std::string> seen;
  Status nested_scan;
  Status outer = pinned->Scan("", "", [&](std::string_view key, std::string_view) {
    auto other = pinned->Get(key == "a" ? "b" : "a");
    seen.push_back(std::string(key) + "=" + (other.ok() && other->has_value() ? **other : "?"));
    nested_scan = pinned->Scan("", "", [](std::string_view, std::string_view) { return true; });
    return true;
  });
  EXPECT_TRUE(outer.ok()) << outer.ToString();
  EXPECT_EQ(seen, (std::vector<std::string>{"a=2", "b=1"}));
  EXPECT_EQ(nested_scan.code(), Code::kInternal);
  EXPECT_EQ(storage->Stats().rocksdb_snapshots, 0u);
}

TEST(StateTest, StateAndOffsetsSurviveReopen) {
  TempDir dir;
  {
    auto storage = OpenOrDie(OptionsFor(dir.path()));
    StateWrite write;
    write.puts = {{"row", "value"}};
    write.offsets = {{"view", 42}};
    ASSERT_TRUE(storage->CommitState(write).ok());
  }
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  auto snap = storage->Snapshot();
  EXPECT_EQ(snap->Offset("view"), 42u);
  EXPECT_EQ(*snap->Get("row").value(), "value");
}

}  // namespace
}  // namespace tally::storage_test
